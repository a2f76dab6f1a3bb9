package io.latchkey.raft.tracker;

/**
 * How the leader replicates to one follower (etcd's {@code tracker.StateType}). The constants
 * keep etcd's spelling because status output prints them.
 */
public enum ProgressState {
    /**
     * The follower's last index is unknown: the leader sends at most one append per heartbeat
     * and narrows the index down from the replies.
     */
    StateProbe,
    /** Steady state: the leader streams appends optimistically. */
    StateReplicate,
    /** The follower needs entries the leader has compacted away, so it is sent a snapshot. */
    StateSnapshot
}
