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
import java.sql.Statement;
import java.util.Random;

import static io.latchkey.storage.PostgresLogStoreTest.entries;
import static io.latchkey.storage.PostgresLogStoreTest.hardState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Snapshot chunks carry a CRC-32C: one byte changed in PostgreSQL behind the store's back is
 * reported as damage, naming the chunk, when the snapshot is streamed to a follower and when a
 * restarting node loads it, instead of being installed.
 */
@Tag("storage")
class SnapshotChecksumTest {
    private static final NodeIdentity NODE = new NodeIdentity(7, 1);

    @Test
    void aSnapshotChunkDamagedInTheDatabase_isReportedWhenStreamedAndWhenLoaded() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        // Three chunks; small enough to be loaded inline on a restart.
        byte[] data = new byte[2 * LogTables.SNAPSHOT_CHUNK_SIZE_BYTES + 1000];
        new Random(3).nextBytes(data);
        Snapshot snapshot = Snapshot.newBuilder().setData(ByteString.copyFrom(data))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(20).setTerm(2)
                        .setConfState(ConfState.newBuilder().addVoters(7))).build();
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(2, 7, 20), entries(1, 2, 25), null);
            store.persist(hardState(2, 7, 20), entries(21, 2, 5), snapshot);
            try (InputStream in = store.openSnapshotData(20)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }

            try (Connection c = TestPostgres.connect(config.schema()); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE snapshot_chunk SET data = set_byte(data, 100, (get_byte(data, 100) + 1) % 256) WHERE seq = 1");
            }
            assertThatThrownBy(() -> {
                try (InputStream in = store.openSnapshotData(20)) {
                    in.readAllBytes();
                }
            }).isInstanceOf(IOException.class).rootCause()
                    .isInstanceOf(StorageCorruptionException.class)
                    .hasMessageContaining("chunk 1 of the snapshot at index 20 fails its CRC-32C");
        }
        assertThatThrownBy(() -> PostgresLogStore.open(config, NODE).close())
                .isInstanceOf(StorageCorruptionException.class)
                .hasMessageContaining("chunk 1 of the snapshot at index 20 fails its CRC-32C")
                .hasMessageContaining("damaged");
    }
}
