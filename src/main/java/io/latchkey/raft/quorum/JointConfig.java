package io.latchkey.raft.quorum;

import java.util.Map;

/**
 * Two majority configs that must both agree (etcd's {@code quorum.JointConfig}): the
 * incoming config (etcd's {@code Voters[0]}) and the outgoing one ({@code Voters[1]}), which
 * is empty unless a joint-consensus transition is under way (Raft thesis, section 4.3).
 *
 * <p>Both halves are mutable and owned by this object; {@link #copy()} gives an independent
 * one. Like {@link MajorityConfig}, an instance is confined to one thread.
 */
public final class JointConfig {
    private final MajorityConfig incoming;
    private final MajorityConfig outgoing;

    /** A config with both halves empty. */
    public JointConfig() {
        this(new MajorityConfig(), new MajorityConfig());
    }

    /** Takes ownership of the two halves (not copied). */
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {
        this.incoming = incoming;
        this.outgoing = outgoing;
    }

    public JointConfig copy() {
        return new JointConfig(incoming.copy(), outgoing.copy());
    }

    /** etcd's {@code Voters[0]}: the config being moved to, or the only one. */
    public MajorityConfig incoming() {
        return incoming;
    }

    /** etcd's {@code Voters[1]}: the config being left; empty when not joint. */
    public MajorityConfig outgoing() {
        return outgoing;
    }

    /** Every voter of either half, as a new set. */
    public MajorityConfig ids() {
        MajorityConfig all = incoming.copy();
        all.addAll(outgoing);
        return all;
    }

    /** The commit picture over the union of both halves. */
    public String describe(AckedIndexer l) {
        return ids().describe(l);
    }

    /** An index is committed jointly once each half has committed it, so take the lower. */
    public long committedIndex(AckedIndexer l) {
        return Math.min(incoming.committedIndex(l), outgoing.committedIndex(l));
    }

    /** Both halves must win; a loss in either half cannot be recovered from. */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        VoteResult r1 = incoming.voteResult(votes);
        VoteResult r2 = outgoing.voteResult(votes);
        if (r1 == r2) {
            return r1;
        }
        if (r1 == VoteResult.VoteLost || r2 == VoteResult.VoteLost) {
            return VoteResult.VoteLost;
        }
        return VoteResult.VotePending;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JointConfig other
                && incoming.equals(other.incoming) && outgoing.equals(other.outgoing);
    }

    @Override
    public int hashCode() {
        return 31 * incoming.hashCode() + outgoing.hashCode();
    }

    /** "(1 2 3)" or, while joint, "(1 2 3)&&(1 2)", as etcd prints it. */
    @Override
    public String toString() {
        return outgoing.isEmpty() ? incoming.toString() : incoming + "&&" + outgoing;
    }
}
