package io.latchkey.raft.quorum;

/**
 * Outcome of counting votes against a quorum. The constants keep etcd's spelling because
 * test output prints them.
 */
public enum VoteResult {
    /** Neither a yes nor a no quorum is reached yet; more votes may decide it. */
    VotePending,
    /** Enough voters said no that the vote can no longer be won. */
    VoteLost,
    /** A quorum said yes. */
    VoteWon
}
