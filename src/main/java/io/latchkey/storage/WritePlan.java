package io.latchkey.storage;

import io.latchkey.raft.RaftPanicException;
import io.latchkey.raft.SnapOutOfDateException;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * The net effect of one or more {@link WriteBatch}es on the durable log, checked against the
 * log as it stands, so that a group of Readies becomes one transaction. Writing entries from
 * index i discards everything from i on; since the entries written form one contiguous run,
 * the discarded rest is exactly "everything after the run's last index". Every plan is
 * idempotent: running it twice leaves what running it once does, which makes a retry after
 * an unknown commit outcome safe.
 */
final class WritePlan {
    /** Null unless some batch installs a snapshot; the last one wins. */
    final Snapshot snapshot;
    /** Contiguous; written from {@code entries.get(0).getIndex()} on, with everything after them discarded. */
    final List<Entry> entries;
    /**
     * Whether the entries start at or below the log's last index (after the snapshot, if
     * any), so that a conflicting suffix must be discarded first; false for a plain append.
     */
    final boolean overwrites;
    /** Null when no batch changes it. */
    final HardState hardState;
    /** The log's origin and last index once the plan is applied. */
    final long originIndex;
    final long originTerm;
    final long lastIndex;

    private WritePlan(Snapshot snapshot, List<Entry> entries, boolean overwrites, HardState hardState,
                      long originIndex, long originTerm, long lastIndex) {
        this.snapshot = snapshot;
        this.entries = entries;
        this.overwrites = overwrites;
        this.hardState = hardState;
        this.originIndex = originIndex;
        this.originTerm = originTerm;
        this.lastIndex = lastIndex;
    }

    boolean isEmpty() {
        return snapshot == null && entries.isEmpty() && hardState == null;
    }

    /**
     * Merges {@code batches} in order onto a log whose origin is {@code (originIndex,
     * originTerm)}, whose last index is {@code lastIndex} and whose snapshot is at
     * {@code snapshotIndex}. Entries at or below the origin are already covered by a snapshot
     * and are skipped (as MemoryStorage.Append does).
     *
     * @throws SnapOutOfDateException if a snapshot is not newer than the one before it
     * @throws IllegalStateException  if entries would leave a gap after the last index
     */
    static WritePlan merge(List<WriteBatch> batches, long originIndex, long originTerm, long lastIndex,
                           long snapshotIndex) {
        Snapshot snapshot = null;
        HardState hardState = null;
        ArrayList<Entry> run = new ArrayList<>();
        long storedLastIndex = lastIndex;
        for (WriteBatch batch : batches) {
            if (batch.snapshot() != null) {
                long index = batch.snapshot().getMetadata().getIndex();
                // A snapshot at index 0 only carries the bootstrap ConfState; any other must be newer.
                if (snapshotIndex != 0 && snapshotIndex >= index) {
                    throw SnapOutOfDateException.INSTANCE;
                }
                snapshot = batch.snapshot();
                snapshotIndex = index;
                originIndex = index;
                originTerm = batch.snapshot().getMetadata().getTerm();
                lastIndex = index;
                storedLastIndex = index;
                run.clear();
            }
            List<Entry> entries = batch.entries();
            if (!entries.isEmpty() && entries.get(entries.size() - 1).getIndex() > originIndex) {
                long first = entries.get(0).getIndex();
                if (first <= originIndex) {
                    entries = entries.subList(Math.toIntExact(originIndex + 1 - first), entries.size());
                    first = originIndex + 1;
                }
                if (first > lastIndex + 1) {
                    throw new RaftPanicException(String.format(
                            "missing log entry [last: %d, append at: %d]", lastIndex, first));
                }
                if (!run.isEmpty() && first >= run.get(0).getIndex()) {
                    run.subList(Math.toIntExact(first - run.get(0).getIndex()), run.size()).clear();
                } else {
                    run.clear();
                }
                run.addAll(entries);
                lastIndex = run.get(run.size() - 1).getIndex();
            }
            if (batch.hardState() != null) {
                hardState = batch.hardState();
            }
        }
        boolean overwrites = !run.isEmpty() && run.get(0).getIndex() <= storedLastIndex;
        return new WritePlan(snapshot, List.copyOf(run), overwrites, hardState, originIndex, originTerm, lastIndex);
    }
}
