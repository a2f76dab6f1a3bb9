package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.latchkey.storage.PostgresLogStoreTest.entries;
import static io.latchkey.storage.PostgresLogStoreTest.hardState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The writer's database connection is killed from a second connection
 * ({@code pg_terminate_backend}), between writes, in the middle of a transaction, and
 * repeatedly under load. Each write must either be retried to success or make the store stop
 * acknowledging; what is read back (now, and after a restart) is never half a write.
 */
@Tag("storage")
class PostgresFaultTest {
    private static final NodeIdentity NODE = new NodeIdentity(7, 1);
    private static final Duration CONDITION_WAIT_MAX = Duration.ofSeconds(30);

    @Test
    void connectionKilledBetweenWrites_nextWriteIsRetriedOnANewConnection() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(1, 7, 0), entries(1, 1, 10), null);
            terminate(store.writerBackendPid());
            store.persist(hardState(1, 7, 5), entries(11, 1, 10), null);
            assertThat(store.lastIndex()).isEqualTo(20);
        }
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            assertThat(store.lastIndex()).isEqualTo(20);
            assertThat(store.hardState()).isEqualTo(hardState(1, 7, 5));
        }
    }

    @Test
    void connectionKilledInsideASnapshotTransaction_isRetriedAndLeavesOneWholeSnapshot() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        // 8 MiB makes the transaction 32 chunk inserts long: long enough to be caught inside it.
        byte[] data = new byte[8 << 20];
        new java.util.Random(1).nextBytes(data);
        Snapshot snapshot = Snapshot.newBuilder().setData(ByteString.copyFrom(data))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(50).setTerm(4)
                        .setConfState(ConfState.newBuilder().addVoters(7))).build();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(3, 7, 20), entries(1, 3, 30), null);
            int writerPid = store.writerBackendPid();
            Thread killer = Thread.ofPlatform().start(() -> {
                awaitInTransaction(writerPid);
                terminate(writerPid);
            });
            store.persist(hardState(4, 7, 50), entries(51, 4, 3), snapshot);
            killer.join(CONDITION_WAIT_MAX.toMillis());
            assertThat(store.writerBackendPid()).as("the write went through a new connection").isNotEqualTo(writerPid);
        }
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE);
             InputStream in = store.openSnapshotData(50)) {
            assertThat(store.firstIndex()).isEqualTo(51);
            assertThat(store.lastIndex()).isEqualTo(53);
            assertThat(store.hardState()).isEqualTo(hardState(4, 7, 50));
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void connectionKilledWhileASnapshotStreams_nothingOfItIsKeptAndTheStoreGoesOn() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(2, 7, 5), entries(1, 2, 10), null);
            int writerPid = store.writerBackendPid();
            CountDownLatch firstChunkRead = new CountDownLatch(1);
            CountDownLatch killed = new CountDownLatch(1);
            InputStream stalling = new StallingStream(LogTables.SNAPSHOT_CHUNK_SIZE_BYTES * 3L, firstChunkRead, killed);
            Thread killer = Thread.ofPlatform().start(() -> {
                await(firstChunkRead);
                terminate(writerPid);
                killed.countDown();
            });
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(9).setTerm(2).build();
            assertThatThrownBy(() -> store.applySnapshot(metadata, stalling))
                    .isInstanceOf(SnapshotWriteInterruptedException.class);
            killer.join(CONDITION_WAIT_MAX.toMillis());

            assertThat(store.snapshot().getMetadata().getIndex()).isZero();
            assertThat(store.entries(1, 11, Long.MAX_VALUE)).isEqualTo(entries(1, 2, 10));
            assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM snapshot_chunk")).isZero();
            store.persist(hardState(2, 7, 10), entries(11, 2, 1), null);
            assertThat(store.lastIndex()).isEqualTo(11);
        }
    }

    @Test
    void connectionKilledRepeatedlyUnderLoad_everyAcknowledgedReadySurvivesWhole() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        int readies = 120;
        int entriesPerReady = 256;
        AtomicLong acknowledged = new AtomicLong();
        List<Integer> killedPids = new ArrayList<>();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            Thread writer = Thread.ofPlatform().start(() -> {
                for (int r = 0; r < readies; r++) {
                    long first = 1 + (long) r * entriesPerReady;
                    store.persist(hardState(1, 7, first - 1), entries(first, 1, entriesPerReady), null);
                    acknowledged.set(r + 1);
                }
            });
            // Kill whatever backend serves the writer, each time it has made some progress.
            for (int kill = 0; kill < 5 && writer.isAlive(); kill++) {
                long target = acknowledged.get() + 10;
                awaitCondition(() -> acknowledged.get() >= target || !writer.isAlive());
                int pid = writerBackend(config.schema());
                if (pid != 0 && terminate(pid)) {
                    killedPids.add(pid);
                }
            }
            writer.join(TimeUnit.SECONDS.toMillis(120));
            assertThat(acknowledged.get()).isEqualTo(readies);
            assertThat(killedPids).isNotEmpty();
        }
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            long last = (long) readies * entriesPerReady;
            assertThat(store.lastIndex()).isEqualTo(last);
            assertThat(TestPostgres.count(config.schema(), "SELECT sum(last_idx - first_idx + 1) FROM log_segment"))
                    .isEqualTo(last);
            assertThat(store.hardState().getCommit()).isEqualTo(last - entriesPerReady);
        }
    }

    @Test
    void writeThatCannotBeRetriedInTime_stopsTheStoreAndLeavesNothingHalfWritten() throws Exception {
        StorageConfig config = TestPostgres.freshConfig().withWriteRetryTimeMax(Duration.ZERO);
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(1, 7, 0), entries(1, 1, 10), null);
            terminate(store.writerBackendPid());
            assertThatThrownBy(() -> store.persist(hardState(1, 7, 10), entries(11, 1, 10), null))
                    .isInstanceOf(StorageFailedException.class)
                    .hasMessageContaining("no longer acknowledges writes");
            assertThatThrownBy(() -> store.persist(null, entries(11, 1, 1), null))
                    .isInstanceOf(StorageFailedException.class);
            assertThat(store.lastIndex()).as("memory shows only acknowledged writes").isEqualTo(10);
        }
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            assertThat(store.lastIndex()).isEqualTo(10);
            assertThat(store.hardState()).isEqualTo(hardState(1, 7, 0));
        }
    }

    @Test
    void reachable_followsWhetherTheDatabaseLetsTheNodeIn() throws Exception {
        String role = "latchkey_reach_" + ProcessHandle.current().pid();
        admin("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN", "GRANT CREATE ON DATABASE postgres TO " + role);
        StorageConfig config = StorageConfig.external(TestPostgres.jdbcUrl().replace("user=postgres", "user=" + role),
                TestPostgres.freshSchema(), Map.of());
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(1, 7, 0), entries(1, 1, 10), null);
            assertThat(store.reachable()).isTrue();

            // Its sessions end and it may not log in again: what a database that is down looks like to it.
            admin("ALTER ROLE " + role + " NOLOGIN",
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");
            assertThat(store.reachable()).isFalse();

            admin("ALTER ROLE " + role + " LOGIN");
            assertThat(store.reachable()).isTrue();
        }
    }

    @Test
    void reachable_isFalseOnceTheStoreStoppedAcknowledging() throws Exception {
        StorageConfig config = TestPostgres.freshConfig().withWriteRetryTimeMax(Duration.ZERO);
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(1, 7, 0), entries(1, 1, 10), null);
            terminate(store.writerBackendPid());
            assertThatThrownBy(() -> store.persist(hardState(1, 7, 10), entries(11, 1, 10), null))
                    .isInstanceOf(StorageFailedException.class);
            assertThat(store.reachable()).isFalse();
        }
    }

    private static void admin(String... statements) throws SQLException {
        try (Connection connection = TestPostgres.connect("public"); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** The backend serving the store's writer connection now, or 0 between connections. */
    private static int writerBackend(String schema) {
        try (Connection connection = TestPostgres.connect(schema);
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, PostgresLogStore.applicationName(PostgresLogStore.WRITER, schema));
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean terminate(int pid) {
        try (Connection connection = TestPostgres.connect("public");
             PreparedStatement statement = connection.prepareStatement("SELECT pg_terminate_backend(?)")) {
            statement.setInt(1, pid);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitInTransaction(int pid) {
        awaitCondition(() -> {
            try (Connection connection = TestPostgres.connect("public");
                 PreparedStatement statement = connection.prepareStatement(
                         "SELECT state, xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = ?")) {
                statement.setInt(1, pid);
                try (ResultSet rs = statement.executeQuery()) {
                    return rs.next() && rs.getBoolean(2) && !"idle".equals(rs.getString(1));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Polls a condition until it holds; fails the test at the deadline. */
    private static void awaitCondition(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + CONDITION_WAIT_MAX.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("condition not met within " + CONDITION_WAIT_MAX);
            }
            Thread.onSpinWait();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(CONDITION_WAIT_MAX.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("latch not released within " + CONDITION_WAIT_MAX);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Snapshot data that, after its first chunk, waits until the test has killed the connection. */
    private static final class StallingStream extends InputStream {
        private final CountDownLatch firstChunkRead;
        private final CountDownLatch resume;
        private long remaining;
        private long served;

        StallingStream(long sizeBytes, CountDownLatch firstChunkRead, CountDownLatch resume) {
            this.remaining = sizeBytes;
            this.firstChunkRead = firstChunkRead;
            this.resume = resume;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (remaining == 0) {
                return -1;
            }
            if (served >= LogTables.SNAPSHOT_CHUNK_SIZE_BYTES && firstChunkRead.getCount() > 0) {
                firstChunkRead.countDown();
                await(resume);
            }
            int count = (int) Math.min(length, remaining);
            java.util.Arrays.fill(buffer, offset, offset + count, (byte) 7);
            remaining -= count;
            served += count;
            return count;
        }
    }
}
