package io.latchkey.raft.quorum;

/** Log positions as the quorum code reports them, including its "no constraint" value. */
public final class Index {
    /**
     * What an empty majority commits: it must not hold back the other half of a joint
     * config, so it answers the largest index there is (etcd's math.MaxUint64).
     */
    public static final long INFINITY = Long.MAX_VALUE;

    private Index() {
    }

    /** Decimal, except {@link #INFINITY}, which etcd prints as "∞". */
    public static String toString(long index) {
        return index == INFINITY ? "∞" : Long.toString(index);
    }
}
