package io.latchkey.node;

import io.latchkey.raft.Storage;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * The replica's durable Raft log: what raft reads through {@link #storage()} and what the
 * replica writes for each Ready.
 */
public interface LogStore extends AutoCloseable {
    /** The log as the raft core reads it; reflects every completed {@link #persist}. */
    Storage storage();

    /**
     * Makes one Ready's state durable in a single atomic write. Writing an entry at index i
     * discards every stored entry at or after i. When this method returns, everything passed
     * survives a crash; if it throws, nothing of it may be acknowledged. Except (etcd's
     * {@code MustSync}): a write with no entries and no snapshot whose hard state differs from
     * the stored one only in its commit index may return before it is durable, as long as it
     * stays ordered before every later write; a crash may lose that commit index move alone.
     *
     * @param hardState the new hard state, or the empty instance to keep the stored one
     * @param entries   entries to append, possibly empty
     * @param snapshot  a snapshot received from the leader, or the empty instance
     */
    void persist(HardState hardState, List<Entry> entries, Snapshot snapshot);

    /** One write of {@link #persistAll}: a Ready's hard state, entries and snapshot. */
    record Write(HardState hardState, List<Entry> entries, Snapshot snapshot) {
    }

    /**
     * Makes several writes durable at once (group commit), with the same effect as persisting
     * them one by one in order. When it returns all are durable (but for the commit-index-only
     * exception of {@link #persist}, which applies to the writes taken together); if it throws,
     * none may be acknowledged.
     */
    default void persistAll(List<Write> writes) {
        for (Write w : writes) {
            persist(w.hardState(), w.entries(), w.snapshot());
        }
    }

    /**
     * The data of a snapshot this store holds: its own, or one just persisted. A store may keep
     * snapshot data out of the {@link Snapshot} raft carries (raft only needs the metadata; the
     * data may be a reference the store understands); this reads it in full.
     */
    default java.io.InputStream snapshotData(Snapshot snapshot) {
        return snapshot.getData().newInput();
    }

    /**
     * Records a snapshot of the state machine as of {@code index}, durably when it returns.
     * Called off the loop (see {@link Replica#snapshotInBackground}), possibly while
     * {@link #persist} runs: a store must let its writes go on while {@code data} is written.
     *
     * @throws io.latchkey.raft.SnapOutOfDateException if a snapshot at or after {@code index}
     *         was stored meanwhile (one from the leader); nothing is saved then
     */
    void saveSnapshot(long index, ConfState confState, SnapshotImage data);

    /** Drops the log before {@code index}; a snapshot at or after it must have been saved. */
    void compact(long index);

    @Override
    void close();
}
