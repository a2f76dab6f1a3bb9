package io.latchkey.raft.quorum;

import java.util.Arrays;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A set of voter ids deciding by simple majority (etcd's {@code quorum.MajorityConfig}).
 *
 * <p>The ids live in a sorted {@code long[]}: membership changes are rare while the commit
 * index is computed on every acknowledgement, and sorted storage gives the printed forms
 * their order for free. {@link #committedIndex} sorts into a scratch array owned by this
 * object, so it allocates nothing; the price is that an instance is not thread-safe and must
 * stay confined to the thread driving the Raft node.
 */
public final class MajorityConfig {
    /** Voter counts up to which the commit index is found by counting instead of sorting. */
    private static final int SMALL_CLUSTER_VOTERS_MAX = 7;

    private static final long[] NONE = new long[0];

    private long[] ids;
    private int size;
    /** Reused by {@link #committedIndex}; always at least as long as {@link #ids}. */
    private long[] scratch;

    public MajorityConfig() {
        ids = NONE;
        scratch = NONE;
    }

    /** A config holding the given ids; duplicates collapse. */
    public static MajorityConfig of(long... voters) {
        MajorityConfig c = new MajorityConfig();
        for (long id : voters) {
            c.add(id);
        }
        return c;
    }

    /** An independent copy; later changes to either side do not show in the other. */
    public MajorityConfig copy() {
        MajorityConfig c = new MajorityConfig();
        c.ids = Arrays.copyOf(ids, size);
        c.scratch = new long[size];
        c.size = size;
        return c;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public boolean contains(long id) {
        return Arrays.binarySearch(ids, 0, size, id) >= 0;
    }

    /** Adds {@code id}; returns false if it was already a member. */
    public boolean add(long id) {
        int pos = Arrays.binarySearch(ids, 0, size, id);
        if (pos >= 0) {
            return false;
        }
        int at = -pos - 1;
        if (size == ids.length) {
            int capacity = Math.max(4, size * 2);
            ids = Arrays.copyOf(ids, capacity);
            scratch = new long[capacity];
        }
        System.arraycopy(ids, at, ids, at + 1, size - at);
        ids[at] = id;
        size++;
        return true;
    }

    /** Adds every member of {@code other}. */
    public void addAll(MajorityConfig other) {
        for (int i = 0; i < other.size; i++) {
            add(other.ids[i]);
        }
    }

    /** Removes {@code id}; returns false if it was not a member. */
    public boolean remove(long id) {
        int pos = Arrays.binarySearch(ids, 0, size, id);
        if (pos < 0) {
            return false;
        }
        System.arraycopy(ids, pos + 1, ids, pos, size - pos - 1);
        size--;
        return true;
    }

    public void clear() {
        size = 0;
    }

    /** Visits the members in ascending order without allocating. */
    public void forEach(LongConsumer action) {
        for (int i = 0; i < size; i++) {
            action.accept(ids[i]);
        }
    }

    /** The members in ascending order, as a fresh array (etcd's {@code Slice}). */
    public long[] slice() {
        return Arrays.copyOf(ids, size);
    }

    /**
     * The largest index acknowledged by a majority of the voters. Voters the indexer does not
     * know count as having acknowledged nothing. An empty config answers
     * {@link Index#INFINITY} so that, as half of a joint config, it defers to the other half.
     */
    public long committedIndex(AckedIndexer l) {
        int n = size;
        if (n == 0) {
            return Index.INFINITY;
        }
        long[] acked = scratch;
        for (int i = 0; i < n; i++) {
            long idx = l.ackedIndex(ids[i]);
            acked[i] = idx == AckedIndexer.NOT_FOUND ? 0 : idx;
        }
        int quorum = n / 2 + 1;
        if (n <= SMALL_CLUSTER_VOTERS_MAX) {
            // The answer is the largest index that at least a quorum of voters have reached.
            // For the cluster sizes people run, counting beats sorting and leaves the
            // scratch array in place.
            long best = 0;
            for (int i = 0; i < n; i++) {
                long candidate = acked[i];
                if (candidate <= best) {
                    continue;
                }
                int reached = 0;
                for (int j = 0; j < n; j++) {
                    if (acked[j] >= candidate) {
                        reached++;
                    }
                }
                if (reached >= quorum) {
                    best = candidate;
                }
            }
            return best;
        }
        // Small ranges of a long[] are insertion-sorted in place by the JDK: no allocation.
        Arrays.sort(acked, 0, n);
        // Counting from the top, the quorum-th highest index is acknowledged by a majority.
        return acked[n - quorum];
    }

    /**
     * Whether the recorded votes (true = granted) decide an election. An empty config wins by
     * convention, which makes a joint config with one empty half behave like the other half.
     */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        if (size == 0) {
            return VoteResult.VoteWon;
        }
        int granted = 0;
        int missing = 0;
        for (int i = 0; i < size; i++) {
            Boolean v = votes.get(ids[i]);
            if (v == null) {
                missing++;
            } else if (v) {
                granted++;
            }
        }
        int quorum = size / 2 + 1;
        if (granted >= quorum) {
            return VoteResult.VoteWon;
        }
        if (granted + missing >= quorum) {
            return VoteResult.VotePending;
        }
        return VoteResult.VoteLost;
    }

    /**
     * A multi-line picture of the acknowledged indexes, one voter per line in id order. Each
     * voter gets a bar whose length is the number of voters with a strictly lower index, so
     * equal indexes draw equal bars; unknown voters print "?". The layout matches etcd's.
     */
    public String describe(AckedIndexer l) {
        int n = size;
        if (n == 0) {
            return "<empty majority quorum>";
        }
        long[] idx = new long[n];
        boolean[] known = new boolean[n];
        Integer[] byIndex = new Integer[n];
        for (int i = 0; i < n; i++) {
            long v = l.ackedIndex(ids[i]);
            known[i] = v != AckedIndexer.NOT_FOUND;
            idx[i] = known[i] ? v : 0;
            byIndex[i] = i;
        }
        // ids[] is sorted, so position order doubles as the id tie-breaker.
        Arrays.sort(byIndex, (a, b) -> idx[a] != idx[b] ? Long.compare(idx[a], idx[b]) : Integer.compare(a, b));
        int[] bar = new int[n];
        for (int r = 1; r < n; r++) {
            int cur = byIndex[r];
            int prev = byIndex[r - 1];
            bar[cur] = idx[prev] < idx[cur] ? r : bar[prev];
        }

        StringBuilder buf = new StringBuilder();
        buf.repeat(' ', n).append("    idx\n");
        for (int i = 0; i < n; i++) {
            if (!known[i]) {
                buf.append('?').repeat(' ', n);
            } else {
                buf.repeat('x', bar[i]).append('>').repeat(' ', n - bar[i]);
            }
            buf.append(String.format(" %5d    (id=%x)\n", idx[i], ids[i]));
        }
        return buf.toString();
    }

    /** Content equality: two configs are equal when they hold the same ids. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MajorityConfig other
                && Arrays.equals(ids, 0, size, other.ids, 0, other.size);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = 0; i < size; i++) {
            h = 31 * h + Long.hashCode(ids[i]);
        }
        return h;
    }

    /** Sorted hex ids in parentheses, e.g. "(1 2 3)", as etcd prints them. */
    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder("(");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                buf.append(' ');
            }
            buf.append(Long.toHexString(ids[i]));
        }
        return buf.append(')').toString();
    }
}
