package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

import static io.latchkey.raft.EntrySizes.entsSize;
import static io.latchkey.raft.EntrySizes.limitSize;

/**
 * The log as one node sees it: the durable part in {@link Storage} followed by the
 * {@link Unstable} part not yet written, plus the commit and apply positions (etcd's
 * {@code raftLog}).
 *
 * <p>Lists of entries handed out are immutable or otherwise the caller's own; they stay valid
 * whatever the log does later.
 */
final class RaftLog {
    /** etcd's {@code noLimit} (math.MaxUint64): no cap on a byte size. */
    static final long NO_LIMIT = Long.MAX_VALUE;

    /** The durable entries since the last snapshot. */
    final Storage storage;
    /** Entries and snapshot not yet durable; they go to storage through a {@code Ready}. */
    final Unstable unstable;

    /** The highest index known to be durable on a quorum. */
    long committed;
    /**
     * The highest index handed to the application for applying; moves when a {@code Ready} is
     * accepted. Always {@code applied <= applying <= committed}.
     */
    long applying;
    /** The highest index the application reports applied. Always {@code applied <= committed}. */
    long applied;

    final Logger logger;

    /** Cap on the bytes of entries handed out by {@link #nextCommittedEnts} and not yet applied. */
    final long maxApplyingEntsSize;
    /** Bytes of entries handed out by {@link #nextCommittedEnts} and not yet reported applied. */
    long applyingEntsSize;
    /** Set while {@link #applyingEntsSize} is at the cap, so no more entries are handed out. */
    boolean applyingEntsPaused;

    private RaftLog(Storage storage, Logger logger, long maxApplyingEntsSize) {
        long firstIndex = storage.firstIndex();
        long lastIndex = storage.lastIndex();
        this.storage = storage;
        this.unstable = new Unstable(lastIndex + 1, logger);
        this.maxApplyingEntsSize = maxApplyingEntsSize;
        // Everything up to the last compaction counts as committed and applied.
        this.committed = firstIndex - 1;
        this.applying = firstIndex - 1;
        this.applied = firstIndex - 1;
        this.logger = logger;
    }

    /** A log over {@code storage}, without a cap on the bytes handed out for applying. */
    static RaftLog newLog(Storage storage, Logger logger) {
        return newLogWithSize(storage, logger, NO_LIMIT);
    }

    /** A log over {@code storage} handing out at most {@code maxApplyingEntsSize} unapplied bytes. */
    static RaftLog newLogWithSize(Storage storage, Logger logger, long maxApplyingEntsSize) {
        return new RaftLog(storage, logger, maxApplyingEntsSize);
    }

    @Override
    public String toString() {
        return String.format(
                "committed=%d, applied=%d, applying=%d, unstable.offset=%d, unstable.offsetInProgress=%d, len(unstable.Entries)=%d",
                committed, applied, applying, unstable.offset, unstable.offsetInProgress, unstable.entries.size());
    }

    /**
     * Appends the slice if its {@code prev} matches this log, truncating any conflicting suffix,
     * and then commits up to {@code min(committed, a.lastIndex())}.
     *
     * @return false if {@code prev} does not match and nothing changed; when true, the last new
     *         index (etcd's {@code lastnewi}) is {@code a.lastIndex()}
     */
    boolean maybeAppend(LogSlice a, long committed) {
        if (!matchTerm(a.prev())) {
            return false;
        }
        long lastnewi = a.lastIndex();
        long ci = findConflict(a.entries());
        if (ci != 0) {
            if (ci <= this.committed) {
                throw logger.panic("entry %d conflict with committed entry [committed(%d)]", ci, this.committed);
            }
            long offset = a.prev().index() + 1;
            if (ci - offset > a.entries().size()) {
                throw logger.panic("index, %d, is out of range [%d]", ci - offset, a.entries().size());
            }
            append(a.entries().subList((int) (ci - offset), a.entries().size()));
        }
        commitTo(Math.min(committed, lastnewi));
        return true;
    }

    /**
     * Appends entries to the unstable log, truncating whatever follows their first index; the
     * list is copied, never kept.
     *
     * @return the new last index
     */
    long append(List<Entry> ents) {
        if (ents.isEmpty()) {
            return lastIndex();
        }
        long after = ents.get(0).getIndex() - 1;
        if (after < committed) {
            throw logger.panic("after(%d) is out of range [committed(%d)]", after, committed);
        }
        unstable.truncateAndAppend(ents);
        return lastIndex();
    }

    /**
     * The index of the first of {@code ents} (consecutive indices) whose term differs from this
     * log's entry at that index, or that this log does not have yet; 0 if the log already holds
     * them all.
     */
    long findConflict(List<Entry> ents) {
        for (Entry ent : ents) {
            EntryId id = EntryId.of(ent);
            if (!matchTerm(id)) {
                if (id.index() <= lastIndex()) {
                    logger.info("found conflict at index %d [existing term: %d, conflicting term: %d]",
                            id.index(), zeroTermOnOutOfBounds(id.index()), id.term());
                }
                return id.index();
            }
        }
        return 0;
    }

    /**
     * Guesses where this log stops agreeing with another log of which only the entry
     * {@code (index, term)} is known: the largest index at or below {@code index} whose term is
     * at most {@code term}, or whose term is unknown here (compacted or not yet present). Leader
     * and follower use it to skip over a diverging suffix after a rejected append.
     *
     * @return that index with its term here, the term being 0 when unknown
     */
    EntryId findConflictByTerm(long index, long term) {
        for (; index > 0; index--) {
            long ourTerm;
            try {
                ourTerm = term(index);
            } catch (CompactedException | UnavailableException e) {
                // Cannot tell whether it matches, so it might: stop here.
                return new EntryId(0, index);
            }
            if (ourTerm <= term) {
                return new EntryId(ourTerm, index);
            }
        }
        return new EntryId(0, 0);
    }

    /** The unstable entries not yet handed out for writing. */
    List<Entry> nextUnstableEnts() {
        return unstable.nextEntries();
    }

    /** Whether some unstable entries wait to be handed out for writing. */
    boolean hasNextUnstableEnts() {
        return unstable.hasNextEntries();
    }

    /** Whether some unstable entries wait to be written or are being written. */
    boolean hasNextOrInProgressUnstableEnts() {
        return !unstable.entries.isEmpty();
    }

    /**
     * The committed entries ready to be applied, within the applying byte budget. With
     * {@code allowUnstable}, committed entries not yet durable locally qualify too.
     */
    List<Entry> nextCommittedEnts(boolean allowUnstable) {
        if (applyingEntsPaused) {
            return List.of();
        }
        if (hasNextOrInProgressSnapshot()) {
            // A pending snapshot goes first; see hasNextCommittedEnts.
            return List.of();
        }
        long lo = applying + 1;
        long hi = maxAppliableIndex(allowUnstable) + 1;
        if (lo >= hi) {
            return List.of();
        }
        long maxSize = maxApplyingEntsSize - applyingEntsSize;
        if (maxSize <= 0) {
            throw logger.panic("applying entry size (%d-%d)=%d not positive",
                    maxApplyingEntsSize, applyingEntsSize, maxSize);
        }
        try {
            return slice(lo, hi, maxSize);
        } catch (StorageException e) {
            throw logger.panic("unexpected error when getting unapplied entries (%s)", e.getMessage());
        }
    }

    /** Whether {@link #nextCommittedEnts} would return anything, without reading entries. */
    boolean hasNextCommittedEnts(boolean allowUnstable) {
        if (applyingEntsPaused) {
            return false;
        }
        if (hasNextOrInProgressSnapshot()) {
            // With a snapshot pending, handing out entries too would leave the order of
            // applying them open.
            return false;
        }
        long lo = applying + 1;
        long hi = maxAppliableIndex(allowUnstable) + 1;
        return lo < hi;
    }

    /** The highest committed index that may be applied, stable entries only unless allowed. */
    long maxAppliableIndex(boolean allowUnstable) {
        long hi = committed;
        if (!allowUnstable) {
            hi = Math.min(hi, unstable.offset - 1);
        }
        return hi;
    }

    /** The unstable snapshot if not yet handed out for writing, else null. */
    Snapshot nextUnstableSnapshot() {
        return unstable.nextSnapshot();
    }

    /** Whether an unstable snapshot waits to be handed out for writing. */
    boolean hasNextUnstableSnapshot() {
        return unstable.nextSnapshot() != null;
    }

    /** Whether a snapshot waits to be written or is being written. */
    boolean hasNextOrInProgressSnapshot() {
        return unstable.snapshot != null;
    }

    /**
     * The newest snapshot: the unstable one if any, else storage's.
     *
     * @throws SnapshotTemporarilyUnavailableException if storage is still preparing it
     */
    Snapshot snapshot() {
        if (unstable.snapshot != null) {
            return unstable.snapshot;
        }
        return storage.snapshot();
    }

    long firstIndex() {
        long i = unstable.maybeFirstIndex();
        if (i != Unstable.UNKNOWN) {
            return i;
        }
        return storage.firstIndex();
    }

    long lastIndex() {
        long i = unstable.maybeLastIndex();
        if (i != Unstable.UNKNOWN) {
            return i;
        }
        return storage.lastIndex();
    }

    /** Raises the commit index to {@code tocommit}; never lowers it. */
    void commitTo(long tocommit) {
        if (committed < tocommit) {
            if (lastIndex() < tocommit) {
                throw logger.panic(
                        "tocommit(%d) is out of range [lastIndex(%d)]. Was the raft log corrupted, truncated, or lost?",
                        tocommit, lastIndex());
            }
            committed = tocommit;
        }
    }

    /** The application applied up to {@code i}, entries of {@code size} bytes since last time. */
    void appliedTo(long i, long size) {
        if (committed < i || i < applied) {
            throw logger.panic("applied(%d) is out of range [prevApplied(%d), committed(%d)]", i, applied, committed);
        }
        applied = i;
        applying = Math.max(applying, i);
        // Wrong accounting by the caller must not drive the counter below zero.
        applyingEntsSize = applyingEntsSize > size ? applyingEntsSize - size : 0;
        applyingEntsPaused = applyingEntsSize >= maxApplyingEntsSize;
    }

    /** Entries up to {@code i}, of {@code size} bytes, were handed to the application to apply. */
    void acceptApplying(long i, long size, boolean allowUnstable) {
        if (committed < i) {
            throw logger.panic("applying(%d) is out of range [prevApplying(%d), committed(%d)]", i, applying, committed);
        }
        applying = i;
        applyingEntsSize += size;
        // Pause when the budget is used up, or when the last hand-out stopped short of what could
        // be applied: then the size cap cut it, and the next entry would not fit either.
        applyingEntsPaused = applyingEntsSize >= maxApplyingEntsSize || i < maxAppliableIndex(allowUnstable);
    }

    void stableTo(EntryId id) {
        unstable.stableTo(id);
    }

    void stableSnapTo(long i) {
        unstable.stableSnapTo(i);
    }

    /**
     * The application started writing the current unstable entries and snapshot; later
     * {@code Ready}s must not hand them out again.
     */
    void acceptUnstable() {
        unstable.acceptInProgress();
    }

    /** The id of the last entry in the log. */
    EntryId lastEntryID() {
        long index = lastIndex();
        try {
            return new EntryId(term(index), index);
        } catch (StorageException e) {
            throw logger.panic("unexpected error when getting the last term at %d: %s", index, e.getMessage());
        }
    }

    /**
     * The term of entry {@code i}. The term just before the first index is still known, for
     * matching appends, though the entry itself is compacted.
     *
     * @throws CompactedException if {@code i} is below {@code firstIndex() - 1}
     * @throws UnavailableException if {@code i} is beyond {@code lastIndex()}
     */
    long term(long i) {
        // The unstable part answers without touching storage; anything it holds is in range.
        long t = unstable.maybeTerm(i);
        if (t != Unstable.UNKNOWN) {
            return t;
        }
        if (i + 1 < firstIndex()) {
            throw CompactedException.INSTANCE;
        }
        if (i > lastIndex()) {
            throw UnavailableException.INSTANCE;
        }
        return storage.term(i);
    }

    /**
     * The entries from {@code i} to the end, within {@code maxSize} bytes (at least one);
     * empty if {@code i} is beyond the last index.
     *
     * @throws CompactedException if {@code i} is compacted
     */
    List<Entry> entries(long i, long maxSize) {
        if (i > lastIndex()) {
            return List.of();
        }
        return slice(i, lastIndex() + 1, maxSize);
    }

    /** Every entry in the log. */
    List<Entry> allEntries() {
        while (true) {
            try {
                return entries(firstIndex(), NO_LIMIT);
            } catch (CompactedException e) {
                // Storage compacted concurrently between reading firstIndex and the entries.
            }
        }
    }

    /**
     * Whether a log ending with {@code their} is at least as up-to-date as this one (Raft paper
     * §5.4.1): the later last term wins, and on equal terms the longer log.
     */
    boolean isUpToDate(EntryId their) {
        EntryId our = lastEntryID();
        return their.term() > our.term() || their.term() == our.term() && their.index() >= our.index();
    }

    /** Whether this log holds the entry {@code id}. */
    boolean matchTerm(EntryId id) {
        try {
            return term(id.index()) == id.term();
        } catch (CompactedException | UnavailableException e) {
            return false;
        }
    }

    /**
     * Commits up to {@code at} if it is beyond the commit index and this log holds it. Term 0
     * never matches: a leader always has a term of at least 1.
     */
    boolean maybeCommit(EntryId at) {
        if (at.term() != 0 && at.index() > committed && matchTerm(at)) {
            commitTo(at.index());
            return true;
        }
        return false;
    }

    /** Resets the log to a snapshot received from the leader. */
    void restore(Snapshot s) {
        logger.info("log [%s] starts to restore snapshot [index: %d, term: %d]",
                this, s.getMetadata().getIndex(), s.getMetadata().getTerm());
        committed = s.getMetadata().getIndex();
        unstable.restore(s);
    }

    /**
     * Feeds the entries in {@code [lo, hi)} to {@code visitor} in consecutive pages of at most
     * {@code pageSize} bytes (more only when one entry alone is larger). The visitor returns false
     * to stop early.
     *
     * @return false if the visitor stopped the scan, true if it saw the whole range
     * @throws CompactedException if part of the range is compacted, possibly after some pages
     * @throws StorageException if storage returns no entries for a range that should exist
     */
    boolean scan(long lo, long hi, long pageSize, Predicate<List<Entry>> visitor) {
        while (lo < hi) {
            List<Entry> ents = slice(lo, hi, pageSize);
            if (ents.isEmpty()) {
                throw new StorageException(String.format("got 0 entries in [%d, %d)", lo, hi));
            }
            if (!visitor.test(ents)) {
                return false;
            }
            lo += ents.size();
        }
        return true;
    }

    /**
     * The entries in {@code [lo, hi)}, within {@code maxSize} bytes but at least one.
     *
     * @throws CompactedException if {@code lo} is compacted
     */
    List<Entry> slice(long lo, long hi, long maxSize) {
        mustCheckOutOfBounds(lo, hi);
        if (lo == hi) {
            return List.of();
        }
        if (lo >= unstable.offset) {
            return limitSize(unstable.slice(lo, hi), maxSize);
        }

        long cut = Math.min(hi, unstable.offset);
        List<Entry> ents;
        try {
            ents = storage.entries(lo, cut, maxSize);
        } catch (UnavailableException e) {
            throw logger.panic("entries[%d:%d) is unavailable from storage", lo, cut);
        }
        if (hi <= unstable.offset) {
            return ents;
        }

        // Storage stopped short of cut: the size cap was hit, so nothing unstable fits.
        if (ents.size() < cut - lo) {
            return ents;
        }
        // Otherwise measure what storage returned, to take exactly as many unstable entries
        // as still fit.
        long size = entsSize(ents);
        if (size >= maxSize) {
            return ents;
        }
        List<Entry> fromUnstable = limitSize(unstable.slice(unstable.offset, hi), maxSize - size);
        // limitSize keeps one entry even when it alone exceeds the rest of the budget; here
        // that entry would push the total over maxSize, so leave it out.
        if (fromUnstable.size() == 1 && size + entsSize(fromUnstable) > maxSize) {
            return ents;
        }
        return concat(ents, fromUnstable);
    }

    /** Joins two lists into a new one of exactly their combined length. */
    private static List<Entry> concat(List<Entry> first, List<Entry> second) {
        ArrayList<Entry> all = new ArrayList<>(first.size() + second.size());
        all.addAll(first);
        all.addAll(second);
        return Collections.unmodifiableList(all);
    }

    /**
     * Checks {@code firstIndex() <= lo <= hi <= lastIndex() + 1}: a compacted {@code lo} is an
     * expected answer, anything else out of range a bug.
     *
     * @throws CompactedException if {@code lo} is below the first index
     */
    void mustCheckOutOfBounds(long lo, long hi) {
        if (lo > hi) {
            throw logger.panic("invalid slice %d > %d", lo, hi);
        }
        long fi = firstIndex();
        if (lo < fi) {
            throw CompactedException.INSTANCE;
        }
        long length = lastIndex() + 1 - fi;
        if (hi > fi + length) {
            throw logger.panic("slice[%d,%d) out of bound [%d,%d]", lo, hi, fi, lastIndex());
        }
    }

    /**
     * The term of entry {@code i}, or 0 when it is compacted or beyond the log; for log texts
     * and checks where an unknown term simply means "no match". Etcd's version takes the
     * result of {@code term(i)}; this one calls it.
     */
    long zeroTermOnOutOfBounds(long i) {
        try {
            return term(i);
        } catch (CompactedException | UnavailableException e) {
            return 0;
        } catch (StorageException e) {
            throw logger.panic("unexpected error (%s)", e.getMessage());
        }
    }
}
