package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static io.latchkey.storage.PostgresLogStoreTest.entries;
import static io.latchkey.storage.PostgresLogStoreTest.hardState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Log segments carry a CRC-32C written with them: a log read back unchanged is served as
 * before, and one byte changed in PostgreSQL behind the store's back stops a restart, or a read
 * of older entries, with a message naming the row, its entries and both checksums.
 */
@Tag("storage")
class LogChecksumTest {
    private static final NodeIdentity NODE = new NodeIdentity(5, 0xc5);

    /** Entries 1..30, then 31..33 whose 70 KB entries make one write of several rows. */
    private static List<Entry> write(PostgresLogStore store) {
        store.persist(hardState(1, 5, 0), entries(1, 1, 30), null);
        List<Entry> big = new ArrayList<>();
        for (long index = 31; index <= 33; index++) {
            big.add(Entry.newBuilder().setIndex(index).setTerm(2).setData(ByteString.copyFrom(new byte[70_000])).build());
        }
        store.persist(hardState(2, 5, 33), big, null);
        List<Entry> all = new ArrayList<>(entries(1, 1, 30));
        all.addAll(big);
        return all;
    }

    @Test
    void aLogReadBackUnchanged_passesItsChecksumsOnRestartAndOnColdReads() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        List<Entry> written;
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            written = write(store);
        }
        assertThat(TestPostgres.count(config.schema(), "SELECT count(*) FROM log_segment")).isEqualTo(4);
        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE)) {
            assertThat(store.entries(1, 34, Long.MAX_VALUE)).isEqualTo(written);
            assertThat(store.term(20)).isEqualTo(1);
            assertThat(store.reachable()).isTrue();
        }
    }

    @Test
    void aByteChangedInTheLogTail_stopsTheRestartNamingTheRowAndChecksums() throws Exception {
        StorageConfig config = writtenThenDamaged(32, 1000);

        assertThatThrownBy(() -> PostgresLogStore.open(config, NODE).close())
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageMatching("(?s)log_segment row with entries \\[32, 32] fails its CRC-32C "
                        + "\\(stored [0-9a-f]{8}, computed [0-9a-f]{8}\\).*damaged.*");
    }

    @Test
    void aByteChangedInAnOlderSegment_failsTheReadAndTheStoreStopsAcknowledging() throws Exception {
        StorageConfig config = writtenThenDamaged(1, 20);

        // With no window the restart reads no entry; the damage shows on the first read of it.
        try (PostgresLogStore store = PostgresLogStore.open(config.withWindow(0, 0), NODE)) {
            assertThat(store.entries(31, 34, Long.MAX_VALUE)).hasSize(3);
            assertThatThrownBy(() -> store.entries(10, 12, Long.MAX_VALUE))
                    .isInstanceOf(StorageCorruptionException.class)
                    .hasMessageContaining("log_segment row with entries [1, 30] fails its CRC-32C");
            assertThatThrownBy(() -> store.term(5))
                    .isInstanceOf(StorageCorruptionException.class);
            assertThatThrownBy(() -> store.persist(null, entries(34, 2, 1), null))
                    .isInstanceOf(StorageFailedException.class)
                    .hasMessageContaining("damage");
            assertThat(store.reachable()).isFalse();
        }
    }

    /**
     * A fresh store with {@link #write}'s log, then one byte of the entries of the row starting at
     * {@code firstIndex} changed behind its back, as a bad disk would.
     */
    private static StorageConfig writtenThenDamaged(long firstIndex, int offset) throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            write(store);
        }
        try (Connection c = TestPostgres.connect(config.schema()); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE log_segment SET entries = set_byte(entries, " + offset
                    + ", (get_byte(entries, " + offset + ") + 1) % 256) WHERE first_idx = " + firstIndex)).isEqualTo(1);
        }
        return config;
    }
}
