package io.latchkey.raft.tracker;

import io.latchkey.raft.quorum.VoteResult;

/**
 * Votes counted by {@link ProgressTracker#tallyVotes()}: granted and rejected count only
 * current voters and are informational; {@code result} decides the election.
 */
public record VoteTally(int granted, int rejected, VoteResult result) {
}
