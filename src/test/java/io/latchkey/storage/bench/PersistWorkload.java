package io.latchkey.storage.bench;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.storage.NodeIdentity;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.storage.StorageConfig;
import io.latchkey.storage.WriteBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One transaction of {@link StorageBenchmark}'s workload per call: {@code readiesPerCommit}
 * Readies of {@code entriesPerReady} appended entries with their hard state. Only JDK types
 * cross its surface, so another build's class loader can run it (see StorageBenchmark).
 */
public final class PersistWorkload implements Callable<Void>, AutoCloseable {
    static final int PAYLOAD_SIZE_BYTES = 64;

    private final PostgresLogStore store;
    private final int entriesPerReady;
    private final int readiesPerCommit;
    private final ByteString payload = ByteString.copyFrom(new byte[PAYLOAD_SIZE_BYTES]);
    private long next = 1;

    private PersistWorkload(PostgresLogStore store, int entriesPerReady, int readiesPerCommit) {
        this.store = store;
        this.entriesPerReady = entriesPerReady;
        this.readiesPerCommit = readiesPerCommit;
    }

    /** Opens a store in a fresh {@code schema} of the server at {@code jdbcUrl}. */
    public static PersistWorkload open(String jdbcUrl, String schema, int entriesPerReady, int readiesPerCommit) {
        PostgresLogStore store = PostgresLogStore.open(StorageConfig.external(jdbcUrl, schema, Map.of()),
                new NodeIdentity(1, 1));
        return new PersistWorkload(store, entriesPerReady, readiesPerCommit);
    }

    @Override
    public Void call() {
        List<WriteBatch> batches = new ArrayList<>(readiesPerCommit);
        for (int r = 0; r < readiesPerCommit; r++) {
            List<Entry> entries = new ArrayList<>(entriesPerReady);
            for (int i = 0; i < entriesPerReady; i++) {
                entries.add(Entry.newBuilder().setIndex(next).setTerm(1).setData(payload).build());
                next++;
            }
            HardState hardState = HardState.newBuilder().setTerm(1).setVote(1).setCommit(next - 1).build();
            batches.add(WriteBatch.of(hardState, entries));
        }
        store.persistAll(batches);
        return null;
    }

    @Override
    public void close() {
        store.close();
    }
}
