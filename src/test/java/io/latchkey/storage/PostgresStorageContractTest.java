package io.latchkey.storage;

import io.latchkey.raft.Storage;
import io.latchkey.raft.StorageContractTest;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import org.junit.jupiter.api.Tag;

import java.util.List;

/**
 * MemoryStorage's contract, held by the PostgreSQL store. Each storage gets its own schema;
 * the default window answers most reads from memory.
 */
@Tag("storage")
class PostgresStorageContractTest extends StorageContractTest {
    @Override
    protected WritableStorage newStorage() {
        return new PostgresWritableStorage(PostgresLogStore.open(config(), new NodeIdentity(1, 1)));
    }

    StorageConfig config() {
        return TestPostgres.freshConfig();
    }

    /** The contract's write operations, each a durable write of the store. */
    record PostgresWritableStorage(PostgresLogStore store) implements WritableStorage {
        @Override
        public Storage storage() {
            return store;
        }

        @Override
        public void append(List<Entry> entries) {
            store.persist(null, entries, null);
        }

        @Override
        public void applySnapshot(Snapshot snapshot) {
            store.persist(null, List.of(), snapshot);
        }

        @Override
        public void compact(long compactIndex) {
            store.compact(compactIndex);
        }

        @Override
        public void setHardState(HardState hardState) {
            store.persist(hardState, List.of(), null);
        }

        @Override
        public void close() {
            store.close();
        }
    }
}
