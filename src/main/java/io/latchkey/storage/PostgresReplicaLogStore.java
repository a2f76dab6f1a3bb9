package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.node.LogStore;
import io.latchkey.node.SnapshotImage;
import io.latchkey.raft.Ready;
import io.latchkey.raft.Storage;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;
import java.util.function.LongConsumer;

/**
 * The replica's durable log on PostgreSQL: the replica speaks in Ready terms (empty instances
 * for "nothing"), the store in nullable ones.
 */
public final class PostgresReplicaLogStore implements LogStore {
    private final PostgresLogStore store;
    private volatile LongConsumer persistObserver = nanos -> {
    };

    public PostgresReplicaLogStore(PostgresLogStore store) {
        this.store = store;
    }

    public PostgresLogStore store() {
        return store;
    }

    @Override
    public Storage storage() {
        return store;
    }

    @Override
    public void persist(HardState hardState, List<Entry> entries, Snapshot snapshot) {
        if (Ready.isEmptyHardState(hardState) && entries.isEmpty() && Ready.isEmptySnap(snapshot)) {
            return;
        }
        long start = System.nanoTime();
        store.persist(Ready.isEmptyHardState(hardState) ? null : hardState, entries,
                Ready.isEmptySnap(snapshot) ? null : snapshot);
        persistObserver.accept(System.nanoTime() - start);
    }

    /** Told how long each durable write (up to its fsync) took, in nanoseconds; for metrics. */
    public void onPersist(LongConsumer observer) {
        this.persistObserver = observer;
    }

    /**
     * Large snapshots stay in PostgreSQL's chunks, and so do received ones (their data is a
     * reference to them); small ones travel inline.
     */
    @Override
    public java.io.InputStream snapshotData(Snapshot snapshot) {
        return snapshot.getData().isEmpty() || PostgresLogStore.isStagedReference(snapshot.getData())
                ? store.openSnapshotData(snapshot.getMetadata().getIndex()) : snapshot.getData().newInput();
    }

    /** One transaction and one WAL flush for all of them. */
    @Override
    public void persistAll(List<Write> writes) {
        List<WriteBatch> batches = new java.util.ArrayList<>(writes.size());
        for (Write w : writes) {
            if (Ready.isEmptyHardState(w.hardState()) && w.entries().isEmpty() && Ready.isEmptySnap(w.snapshot())) {
                continue;
            }
            batches.add(new WriteBatch(Ready.isEmptyHardState(w.hardState()) ? null : w.hardState(), w.entries(),
                    Ready.isEmptySnap(w.snapshot()) ? null : w.snapshot()));
        }
        if (!batches.isEmpty()) {
            long start = System.nanoTime();
            store.persistAll(batches);
            persistObserver.accept(System.nanoTime() - start);
        }
    }

    @Override
    public void saveSnapshot(long index, ConfState confState, SnapshotImage data) {
        store.createSnapshot(index, confState, data::writeTo);
    }

    @Override
    public void compact(long index) {
        store.compact(index);
    }

    @Override
    public void close() {
        store.close();
    }
}
