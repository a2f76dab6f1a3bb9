package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the PostgreSQL store adds to MemoryStorage's contract: durability, restart, identity, big snapshots. */
@Tag("storage")
class PostgresLogStoreTest {
    private static final NodeIdentity NODE_1 = new NodeIdentity(1, 0xc1);
    private static final ConfState VOTERS_123 = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();

    static List<Entry> entries(long firstIndex, long term, int count) {
        List<Entry> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long index = firstIndex + i;
            result.add(Entry.newBuilder().setIndex(index).setTerm(term)
                    .setData(ByteString.copyFromUtf8("entry " + index + "@" + term)).build());
        }
        return result;
    }

    static List<Entry> concat(List<Entry> first, List<Entry> second) {
        List<Entry> result = new ArrayList<>(first);
        result.addAll(second);
        return result;
    }

    static HardState hardState(long term, long vote, long commit) {
        return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(commit).build();
    }

    @Test
    void restartedNode_rebuildsSnapshotHardStateEntriesAndConfState() {
        StorageConfig config = TestPostgres.freshConfig();
        Snapshot snapshot = Snapshot.newBuilder().setData(ByteString.copyFromUtf8("state at 10"))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(10).setTerm(2).setConfState(VOTERS_123)).build();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(hardState(2, 1, 10), entries(11, 2, 5), snapshot);
            store.persist(hardState(3, 1, 13), entries(14, 3, 3), null);
        }
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            assertThat(store.initialState().hardState()).isEqualTo(hardState(3, 1, 13));
            assertThat(store.initialState().confState()).isEqualTo(VOTERS_123);
            assertThat(store.snapshot()).isEqualTo(snapshot);
            assertThat(store.firstIndex()).isEqualTo(11);
            assertThat(store.lastIndex()).isEqualTo(16);
            List<Entry> expected = new ArrayList<>(entries(11, 2, 3));
            expected.addAll(entries(14, 3, 3));
            assertThat(store.entries(11, 17, Long.MAX_VALUE)).isEqualTo(expected);
            assertThat(store.term(10)).isEqualTo(2);
        }
    }

    @Test
    void nodeStartedUnderAnotherIdentity_isRefusedWithTheStoredOne() {
        StorageConfig config = TestPostgres.freshConfig();
        PostgresLogStore.open(config, NODE_1).close();
        assertThatThrownBy(() -> PostgresLogStore.open(config, new NodeIdentity(2, 0xc1)))
                .isInstanceOf(IdentityMismatchException.class)
                .hasMessageContaining("belongs to node 1 of cluster c1")
                .hasMessageContaining("starts as node 2 of cluster c1");
        assertThatThrownBy(() -> PostgresLogStore.open(config, new NodeIdentity(1, 0xc2)))
                .isInstanceOf(IdentityMismatchException.class);
    }

    @Test
    void writingAtAnIndex_discardsEveryPersistedEntryFromThereOn() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(null, entries(1, 1, 100), null);
            store.persist(hardState(2, 2, 10), entries(50, 2, 3), null);
            assertThat(store.lastIndex()).isEqualTo(52);
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT sum(last_idx - first_idx + 1) FROM log_segment"))
                .isEqualTo(52);
        try (PostgresLogStore reopened = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(reopened.lastIndex()).isEqualTo(52);
            assertThat(reopened.entries(48, 53, Long.MAX_VALUE)).isEqualTo(concat(entries(48, 1, 2), entries(50, 2, 3)));
        }
    }

    @Test
    void overwritingInsideASegment_keepsItsEarlierEntriesAndAppendsAfterwardsContinue() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(null, entries(1, 1, 10), null);
            store.persist(null, entries(11, 1, 10), null);
            store.persist(null, entries(15, 2, 2), null);
            store.persist(null, entries(17, 2, 3), null);
            store.persist(null, entries(11, 3, 1), null);
            store.persist(null, entries(12, 3, 4), null);
        }
        try (PostgresLogStore reopened = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(reopened.lastIndex()).isEqualTo(15);
            assertThat(reopened.entries(1, 16, Long.MAX_VALUE)).isEqualTo(concat(entries(1, 1, 10), entries(11, 3, 5)));
            assertThat(reopened.term(10)).isEqualTo(1);
            assertThat(reopened.term(11)).isEqualTo(3);
        }
    }

    @Test
    void compaction_deletesTheRowsBelowTheIndexAndKeepsItsTerm() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(null, entries(1, 1, 20), null);
            store.persist(null, entries(21, 2, 20), null);
            store.compact(30);
            assertThat(store.term(30)).isEqualTo(2);
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM log_segment WHERE last_idx <= 30"))
                .isZero();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            assertThat(store.firstIndex()).isEqualTo(31);
            assertThat(store.term(30)).isEqualTo(2);
        }
    }

    @Test
    void groupCommit_hasTheEffectOfPersistingEachReadyInOrder() {
        List<WriteBatch> readies = List.of(
                WriteBatch.of(hardState(1, 1, 0), entries(1, 1, 10)),
                WriteBatch.of(null, entries(11, 1, 10)),
                WriteBatch.of(hardState(2, 2, 5), entries(8, 2, 4)),
                WriteBatch.of(hardState(2, 2, 9), entries(12, 2, 2)));
        try (PostgresLogStore grouped = PostgresLogStore.open(TestPostgres.freshConfig(), NODE_1);
             PostgresLogStore oneByOne = PostgresLogStore.open(TestPostgres.freshConfig(), NODE_1)) {
            grouped.persistAll(readies);
            for (WriteBatch ready : readies) {
                oneByOne.persistAll(List.of(ready));
            }
            assertThat(grouped.lastIndex()).isEqualTo(13).isEqualTo(oneByOne.lastIndex());
            assertThat(grouped.hardState()).isEqualTo(oneByOne.hardState());
            assertThat(grouped.entries(1, 14, Long.MAX_VALUE)).isEqualTo(oneByOne.entries(1, 14, Long.MAX_VALUE));
        }
    }

    @Test
    void entriesOutsideTheWindow_areReadFromPostgresInSizeLimitedPages() {
        StorageConfig config = TestPostgres.freshConfig().withWindow(10, 1 << 20);
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            for (int i = 0; i < 10; i++) {
                store.persist(null, entries(1 + 100L * i, 1, 100), null);
            }
            List<Entry> all = store.entries(1, 1001, Long.MAX_VALUE);
            assertThat(all).hasSize(1000);
            assertThat(all.get(999)).isEqualTo(entries(1000, 1, 1).get(0));
            long twoEntries = all.get(0).getSerializedSize() + all.get(1).getSerializedSize();
            assertThat(store.entries(1, 1001, twoEntries)).hasSize(2);
            assertThat(store.entries(985, 1001, Long.MAX_VALUE)).isEqualTo(all.subList(984, 1000));
            assertThat(store.term(500)).isEqualTo(1);
        }
    }

    @Test
    void largeSnapshot_isStoredAndStreamedInChunksAndNotHandedToTheCoreInline() throws Exception {
        long sizeBytes = 5L * (1 << 20) + 123;
        StorageConfig config = TestPostgres.freshConfig();
        byte[] written;
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(null, entries(1, 1, 5), null);
            PseudoRandomStream data = new PseudoRandomStream(42, sizeBytes);
            store.applySnapshot(SnapshotMetadata.newBuilder().setIndex(100).setTerm(3).setConfState(VOTERS_123).build(),
                    data);
            written = data.digest();
            assertThat(store.snapshot().getData()).isEmpty();
            assertThat(store.snapshot().getMetadata().getIndex()).isEqualTo(100);
            assertThat(store.snapshotDataSizeBytes()).isEqualTo(sizeBytes);
            assertThat(store.firstIndex()).isEqualTo(101);
            assertThat(store.lastIndex()).isEqualTo(100);
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk"))
                .isEqualTo((sizeBytes + LogTables.SNAPSHOT_CHUNK_SIZE_BYTES - 1) / LogTables.SNAPSHOT_CHUNK_SIZE_BYTES);
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1);
             InputStream in = store.openSnapshotData(100)) {
            assertThat(digest(in)).isEqualTo(written);
        }
    }

    @Test
    void receivedSnapshot_isStagedBesideTheLog_andInstalledWhenItsMsgSnapIsPersisted() throws Exception {
        long sizeBytes = 3L * LogTables.SNAPSHOT_CHUNK_SIZE_BYTES + 5;
        long chunks = 4;
        StorageConfig config = TestPostgres.freshConfig();
        byte[] written;
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            store.persist(null, entries(1, 1, 5), null);
            PseudoRandomStream data = new PseudoRandomStream(7, sizeBytes);
            ByteString reference = store.stageSnapshot(data);
            written = data.digest();

            // Staged only: the log's writes go on, and the stored snapshot is still none.
            assertThat(PostgresLogStore.isStagedReference(reference)).isTrue();
            assertThat(reference.size()).isLessThan(64);
            store.persist(hardState(1, 1, 5), entries(6, 1, 5), null);
            assertThat(store.snapshot().getMetadata().getIndex()).isZero();
            assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk WHERE snapshot_idx < 0"))
                    .isEqualTo(chunks);

            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(100).setTerm(3).setConfState(VOTERS_123).build();
            store.persist(hardState(3, 2, 100), List.of(), Snapshot.newBuilder().setMetadata(metadata).setData(reference).build());

            assertThat(store.snapshot().getMetadata()).isEqualTo(metadata);
            assertThat(store.snapshotDataSizeBytes()).isEqualTo(sizeBytes);
            assertThat(store.firstIndex()).isEqualTo(101);
            try (InputStream in = store.openSnapshotData(100)) {
                assertThat(digest(in)).isEqualTo(written);
            }
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk WHERE snapshot_idx = 100"))
                .isEqualTo(chunks);
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk")).isEqualTo(chunks);
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1);
             InputStream in = store.openSnapshotData(100)) {
            assertThat(digest(in)).isEqualTo(written);
        }
    }

    /**
     * A leader streams the snapshot Raft chose, by its index; when a newer one was saved in the
     * meantime, the older one's bytes are gone and the newer one's must not be sent in their
     * place (the peer would label them with the older index and apply the entries in between
     * a second time).
     */
    @Test
    void snapshotDataOfAnIndex_isRefusedOnceANewerSnapshotReplacedIt() throws Exception {
        try (PostgresLogStore store = PostgresLogStore.open(TestPostgres.freshConfig(), NODE_1)) {
            store.persist(null, entries(1, 1, 5), null);
            store.applySnapshot(SnapshotMetadata.newBuilder().setIndex(100).setTerm(3).setConfState(VOTERS_123).build(),
                    new java.io.ByteArrayInputStream("state at 100".getBytes(StandardCharsets.UTF_8)));
            Snapshot chosen = store.snapshot();
            store.applySnapshot(SnapshotMetadata.newBuilder().setIndex(200).setTerm(3).setConfState(VOTERS_123).build(),
                    new java.io.ByteArrayInputStream("state at 200".getBytes(StandardCharsets.UTF_8)));

            assertThatThrownBy(() -> store.openSnapshotData(chosen.getMetadata().getIndex()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("the stored snapshot is at index 200, not 100");
            try (InputStream in = store.openSnapshotData(200)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("state at 200");
            }
        }
    }

    @Test
    void smallReceivedSnapshot_reachesTheCoreWithItsDataInline_notItsReference() throws Exception {
        byte[] bytes = "state".repeat(100).getBytes(StandardCharsets.UTF_8);
        try (PostgresLogStore store = PostgresLogStore.open(TestPostgres.freshConfig(), NODE_1)) {
            ByteString reference = store.stageSnapshot(new java.io.ByteArrayInputStream(bytes));
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(9).setTerm(2).setConfState(VOTERS_123).build();

            store.persist(hardState(2, 1, 9), List.of(), Snapshot.newBuilder().setMetadata(metadata).setData(reference).build());

            assertThat(store.snapshot().getData().toByteArray()).isEqualTo(bytes);
        }
    }

    @Test
    void stagingCutShort_keepsNothing_andStagingsLeftByACrashAreDroppedAtOpen() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE_1)) {
            InputStream cut = new java.io.SequenceInputStream(new PseudoRandomStream(3, 2L * LogTables.SNAPSHOT_CHUNK_SIZE_BYTES),
                    new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("connection reset");
                        }
                    });
            assertThatThrownBy(() -> store.stageSnapshot(cut)).isInstanceOf(IOException.class).hasMessage("connection reset");
            assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk")).isZero();

            store.stageSnapshot(new PseudoRandomStream(4, 1000));
            assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk")).isEqualTo(1);
        }
        try (PostgresLogStore reopened = PostgresLogStore.open(config, NODE_1)) {
            assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk")).isZero();
        }
    }

    @Test
    void locallyCreatedSnapshot_keepsTheLogUntilCompacted() throws Exception {
        try (PostgresLogStore store = PostgresLogStore.open(TestPostgres.freshConfig(), NODE_1)) {
            store.persist(null, entries(1, 1, 5), null);
            store.persist(null, entries(6, 2, 5), null);
            store.createSnapshot(7, VOTERS_123, out -> { });
            assertThat(store.snapshot().getMetadata())
                    .isEqualTo(SnapshotMetadata.newBuilder().setIndex(7).setTerm(2).setConfState(VOTERS_123).build());
            assertThat(store.firstIndex()).isEqualTo(1);
            store.compact(7);
            assertThat(store.firstIndex()).isEqualTo(8);
            assertThatThrownBy(() -> store.createSnapshot(7, VOTERS_123, out -> { }))
                    .isSameAs(io.latchkey.raft.SnapOutOfDateException.INSTANCE);
        }
    }

    @Test
    void databaseDownAtStart_failsOnceWithAClearMessage() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        StorageConfig config = StorageConfig.external("jdbc:postgresql://localhost:" + closedPort + "/latchkey?password=secret",
                "node_1", Map.of("connectTimeout", "2"));
        assertThatThrownBy(() -> PostgresLogStore.open(config, NODE_1))
                .isInstanceOf(StorageUnavailableException.class)
                .hasMessageContaining("PostgreSQL at jdbc:postgresql://localhost:" + closedPort + "/latchkey ")
                .hasMessageContaining("not ready")
                .hasMessageNotContaining("secret");
    }

    @Test
    void logStoredOneEntryPerRow_isReadableAfterTheMigrationToSegments() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (Connection connection = TestPostgres.connect(config.schema())) {
            createSchemaOfVersion(connection, config.schema(), 1);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO log_entry VALUES (?, ?, ?)")) {
                for (Entry entry : entries(5, 2, 300)) {
                    insert.setLong(1, entry.getIndex());
                    insert.setLong(2, entry.getTerm());
                    insert.setBytes(3, entry.toByteArray());
                    insert.executeUpdate();
                }
            }
        }
        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(store.firstIndex()).isEqualTo(5);
            assertThat(store.lastIndex()).isEqualTo(304);
            assertThat(store.entries(5, 305, Long.MAX_VALUE)).isEqualTo(entries(5, 2, 300));
            store.persist(null, entries(200, 3, 2), null);
            assertThat(store.entries(198, 202, Long.MAX_VALUE)).isEqualTo(concat(entries(198, 2, 2), entries(200, 3, 2)));
        }
    }

    @Test
    void logStoredInLengthPrefixedSegments_readsBackTheSameEntriesAfterTheMigrationToCompactSegments() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        List<Entry> compactedAway = entries(1, 1, 4);
        List<Entry> stored = new ArrayList<>(entries(5, 1, 6));
        stored.add(Entry.newBuilder().setIndex(11).setTerm(2).setType(EntryType.EntryConfChangeV2)
                .setData(ByteString.copyFrom(new byte[70_000])).build());
        stored.add(Entry.newBuilder().setIndex(12).setTerm(2).build());
        stored.addAll(entries(13, 2, 100));
        stored.addAll(entries(113, 5, 200));
        List<List<Entry>> rows = List.of(concat(compactedAway, stored.subList(0, 6)), stored.subList(6, 7),
                stored.subList(7, 108), stored.subList(108, 308));
        try (Connection connection = TestPostgres.connect(config.schema())) {
            createSchemaOfVersion(connection, config.schema(), 2);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO log_segment VALUES (?, ?, ?)")) {
                for (List<Entry> row : rows) {
                    insert.setLong(1, row.get(0).getIndex());
                    insert.setLong(2, row.get(row.size() - 1).getIndex());
                    insert.setBytes(3, lengthPrefixed(row));
                    insert.executeUpdate();
                }
            }
        }
        long storedBytes = TestPostgres.count(config.schema(), "SELECT sum(length(entries)) FROM log_segment");

        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(store.firstIndex()).isEqualTo(5);
            assertThat(store.lastIndex()).isEqualTo(312);
            assertThat(store.entries(5, 313, Long.MAX_VALUE)).isEqualTo(stored);
            assertThat(store.term(4)).isEqualTo(1);
            assertThat(store.term(112)).isEqualTo(2);
            assertThat(TestPostgres.count(config.schema(), "SELECT max(version) FROM schema_version")).isEqualTo(SchemaMigrator.MIGRATIONS.getLast().version());
            assertThat(TestPostgres.count(config.schema(),
                    "SELECT count(*) FROM log_segment WHERE get_byte(entries, 0) <> " + LogSegment.FORMAT)).isZero();
            assertThat(TestPostgres.count(config.schema(), "SELECT sum(length(entries)) FROM log_segment"))
                    .isLessThan(storedBytes);
            store.persist(null, entries(200, 6, 2), null);
        }
        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(store.entries(5, 202, Long.MAX_VALUE))
                    .isEqualTo(concat(stored.subList(0, 195), entries(200, 6, 2)));
        }
    }

    @Test
    void aLogOfVersion4_getsItsChecksumsAtTheMigration_butARowThatDoesNotDecodeStopsIt() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        LogSegment good = LogSegment.encode(entries(5, 1, 10)).get(0);
        try (Connection connection = TestPostgres.connect(config.schema())) {
            createSchemaOfVersion(connection, config.schema(), 4);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO log_segment VALUES (?, ?, ?)")) {
                insert.setLong(1, good.firstIndex());
                insert.setLong(2, good.lastIndex());
                insert.setBytes(3, good.encoded());
                insert.executeUpdate();
                insert.setLong(1, 15);
                insert.setLong(2, 16);
                insert.setBytes(3, new byte[] {LogSegment.FORMAT, (byte) 0x10, 100});
                insert.executeUpdate();
            }
        }
        assertThatThrownBy(() -> PostgresLogStore.open(config, NODE_1))
                .isInstanceOf(StorageUnavailableException.class)
                .hasMessageContaining("stored log segment [15, 16] does not decode");
        assertThat(TestPostgres.count(config.schema(), "SELECT max(version) FROM schema_version")).isEqualTo(4);

        try (Connection connection = TestPostgres.connect(config.schema()); Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM log_segment WHERE first_idx = 15");
        }
        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE_1)) {
            assertThat(store.entries(5, 15, Long.MAX_VALUE)).isEqualTo(entries(5, 1, 10));
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM log_segment WHERE crc32c = "
                + good.crc32c())).isEqualTo(1);
    }

    /**
     * The schema as a build of {@code version} left it, as the connection's search path: its
     * scripts run by hand, not by the migrator, with node 1's identity and origin 4 at term 1.
     */
    private static void createSchemaOfVersion(Connection connection, String schema, int version) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute("SET search_path TO " + schema);
            statement.execute("CREATE TABLE schema_version (version integer PRIMARY KEY, description text NOT NULL, "
                    + "installed_at timestamptz NOT NULL DEFAULT now())");
            for (SchemaMigrator.Migration migration : SchemaMigrator.MIGRATIONS.subList(0, version)) {
                try (InputStream in = PostgresLogStoreTest.class.getClassLoader().getResourceAsStream(migration.resource())) {
                    statement.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                statement.execute("INSERT INTO schema_version(version, description) VALUES ("
                        + migration.version() + ", '" + migration.description() + "')");
            }
            statement.execute("INSERT INTO node_identity(node_id, cluster_id) VALUES (1, " + 0xc1 + ")");
            statement.execute("INSERT INTO log_origin(idx, term) VALUES (4, 1)");
        }
    }

    /** Version 2's encoding of a row, written independently of the code that converts it. */
    private static byte[] lengthPrefixed(List<Entry> row) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Entry entry : row) {
            byte[] encoded = entry.toByteArray();
            out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(encoded.length).array());
            out.writeBytes(encoded);
        }
        return out.toByteArray();
    }

    @Test
    void migrations_areRecordedOnceAndReopeningDoesNotRerunThem() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        PostgresLogStore.open(config, NODE_1).close();
        PostgresLogStore.open(config, NODE_1).close();
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM schema_version"))
                .isEqualTo(SchemaMigrator.MIGRATIONS.size());
    }

    static byte[] digest(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 << 10];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
        return digest.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deterministic bytes of a given length, produced as read: a big snapshot without a big array. */
    static final class PseudoRandomStream extends InputStream {
        private final java.util.Random random;
        private final MessageDigest digest = sha256();
        private long remaining;

        PseudoRandomStream(long seed, long sizeBytes) {
            this.random = new java.util.Random(seed);
            this.remaining = sizeBytes;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (remaining == 0) {
                return -1;
            }
            int count = (int) Math.min(length, remaining);
            byte[] bytes = new byte[count];
            random.nextBytes(bytes);
            System.arraycopy(bytes, 0, buffer, offset, count);
            digest.update(bytes);
            remaining -= count;
            return count;
        }

        byte[] digest() {
            return digest.digest();
        }
    }
}
