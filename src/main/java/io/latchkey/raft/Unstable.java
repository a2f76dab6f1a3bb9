package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * The part of the log not yet durable in {@link Storage}: new entries and possibly a snapshot
 * (etcd's {@code unstable}). It keeps them until a {@code Ready} hands them out for writing, and
 * keeps answering for them while the write is in flight, so the log looks complete to
 * {@link RaftLog}; once the application reports them stable they are dropped.
 *
 * <p>{@code entries.get(i)} sits at log index {@code i + offset}. The offset may be below the
 * last index in storage: the next storage write then truncates the stored log before writing
 * these entries.
 *
 * <p>{@code entries} is owned by this object and changed in place; lists handed out are copies,
 * so they stay valid whatever happens here later.
 */
final class Unstable {
    /**
     * Returned by {@link #maybeFirstIndex}, {@link #maybeLastIndex} and {@link #maybeTerm} when the
     * unstable part cannot answer. Indices and terms are unsigned in etcd and never reach 2^63,
     * so a negative value is never a real answer.
     */
    static final long UNKNOWN = -1;

    /** A snapshot received from the leader and not yet durable, or null. */
    Snapshot snapshot;
    ArrayList<Entry> entries = new ArrayList<>();
    long offset;

    /** Whether {@link #snapshot} has been handed out for writing. */
    boolean snapshotInProgress;
    /**
     * Entries below this index (exclusive, like {@link #offset}) have been handed out for
     * writing. Always {@code offset <= offsetInProgress}.
     */
    long offsetInProgress;

    final Logger logger;

    /** An empty unstable log whose next entry goes to {@code offset}. */
    Unstable(long offset, Logger logger) {
        this.offset = offset;
        this.offsetInProgress = offset;
        this.logger = logger;
    }

    /** The index right after the unstable snapshot, or {@link #UNKNOWN} without a snapshot. */
    long maybeFirstIndex() {
        if (snapshot != null) {
            return snapshot.getMetadata().getIndex() + 1;
        }
        return UNKNOWN;
    }

    /**
     * The index of the last unstable entry, else of the unstable snapshot, else
     * {@link #UNKNOWN}.
     */
    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        if (snapshot != null) {
            return snapshot.getMetadata().getIndex();
        }
        return UNKNOWN;
    }

    /** The term at index {@code i} if the unstable part holds it, else {@link #UNKNOWN}. */
    long maybeTerm(long i) {
        if (i < offset) {
            if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
                return snapshot.getMetadata().getTerm();
            }
            return UNKNOWN;
        }
        long last = maybeLastIndex();
        if (last == UNKNOWN || i > last) {
            return UNKNOWN;
        }
        return entries.get((int) (i - offset)).getTerm();
    }

    /** The entries not yet handed out for writing; empty when there are none. */
    List<Entry> nextEntries() {
        int inProgress = (int) (offsetInProgress - offset);
        if (entries.size() == inProgress) {
            return List.of();
        }
        return List.copyOf(entries.subList(inProgress, entries.size()));
    }

    /** Whether {@link #nextEntries} would return anything, without copying. */
    boolean hasNextEntries() {
        return entries.size() > offsetInProgress - offset;
    }

    /**
     * The snapshot if it has not been handed out for writing yet, else null. Protobuf messages
     * are immutable, so unlike etcd no defensive clone is needed.
     */
    Snapshot nextSnapshot() {
        if (snapshot == null || snapshotInProgress) {
            return null;
        }
        return snapshot;
    }

    /**
     * Marks everything held now as handed out for writing, so {@link #nextEntries} and
     * {@link #nextSnapshot} stop returning it; later additions show up again.
     */
    void acceptInProgress() {
        if (!entries.isEmpty()) {
            offsetInProgress = entries.get(entries.size() - 1).getIndex() + 1;
        }
        if (snapshot != null) {
            snapshotInProgress = true;
        }
    }

    /**
     * Drops the entries up to and including {@code id}, which the application reports durable.
     * Ignored when the unstable log no longer holds that exact entry: a newer leader may have
     * replaced it while the write was in flight. Callers must know no in-flight append can still
     * overwrite these entries.
     */
    void stableTo(EntryId id) {
        long gt = maybeTerm(id.index());
        if (gt == UNKNOWN) {
            logger.info("entry at index %d missing from unstable log; ignoring", id.index());
            return;
        }
        if (id.index() < offset) {
            logger.info("entry at index %d matched unstable snapshot; ignoring", id.index());
            return;
        }
        if (gt != id.term()) {
            logger.info("entry at (index,term)=(%d,%d) mismatched with entry at (%d,%d) in unstable log; ignoring",
                    id.index(), id.term(), id.index(), gt);
            return;
        }
        int num = (int) (id.index() + 1 - offset);
        entries.subList(0, num).clear();
        offset = id.index() + 1;
        offsetInProgress = Math.max(offsetInProgress, offset);
        shrinkEntriesArray();
    }

    /**
     * Once everything is stable, lets go of the backing array: it grew to the largest batch seen
     * and would otherwise stay that size for good.
     */
    private void shrinkEntriesArray() {
        if (entries.isEmpty()) {
            entries = new ArrayList<>();
        }
    }

    /** Drops the unstable snapshot once the snapshot at index {@code i} is durable. */
    void stableSnapTo(long i) {
        if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
            snapshot = null;
            snapshotInProgress = false;
        }
    }

    /** Replaces the whole unstable log with a snapshot received from the leader. */
    void restore(Snapshot s) {
        offset = s.getMetadata().getIndex() + 1;
        offsetInProgress = offset;
        entries = new ArrayList<>();
        snapshot = s;
        snapshotInProgress = false;
    }

    /**
     * Appends {@code ents} (not empty, consecutive), first dropping any held entry at or after
     * {@code ents.get(0).getIndex()}. The list is copied, never kept.
     */
    void truncateAndAppend(List<Entry> ents) {
        long fromIndex = ents.get(0).getIndex();
        if (fromIndex == offset + entries.size()) {
            entries.addAll(ents);
        } else if (fromIndex <= offset) {
            logger.info("replace the unstable entries from index %d", fromIndex);
            // Everything held is replaced; stale in-flight writes are caught by stableTo's
            // term check.
            entries = new ArrayList<>(ents);
            offset = fromIndex;
            offsetInProgress = offset;
        } else {
            logger.info("truncate the unstable entries before index %d", fromIndex);
            mustCheckOutOfBounds(offset, fromIndex);
            // Truncating in place is safe: nothing outside holds a view of this list.
            entries.subList((int) (fromIndex - offset), entries.size()).clear();
            entries.addAll(ents);
            // Only the writes handed out for entries below fromIndex are still meaningful.
            offsetInProgress = Math.min(offsetInProgress, fromIndex);
        }
    }

    /**
     * A copy of the entries at indices {@code [lo, hi)}, all of which must be held here. The
     * entries themselves are shared, which is fine as they are immutable.
     */
    List<Entry> slice(long lo, long hi) {
        mustCheckOutOfBounds(lo, hi);
        return List.copyOf(entries.subList((int) (lo - offset), (int) (hi - offset)));
    }

    /** Panics unless {@code offset <= lo <= hi <= offset + entries.size()}. */
    private void mustCheckOutOfBounds(long lo, long hi) {
        if (lo > hi) {
            throw logger.panic("invalid unstable.slice %d > %d", lo, hi);
        }
        long upper = offset + entries.size();
        if (lo < offset || hi > upper) {
            throw logger.panic("unstable.slice[%d,%d) out of bound [%d,%d]", lo, hi, offset, upper);
        }
    }
}
