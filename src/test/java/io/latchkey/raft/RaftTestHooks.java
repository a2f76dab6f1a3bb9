package io.latchkey.raft;

/** Reaches into package-private state for test harnesses in other packages. */
public final class RaftTestHooks {
    private RaftTestHooks() {
    }

    /** Fixes the election timeout a node drew at random, so scenarios are deterministic. */
    public static void setRandomizedElectionTimeout(RawNode node, int timeout) {
        node.raft().randomizedElectionTimeout = timeout;
    }
}
