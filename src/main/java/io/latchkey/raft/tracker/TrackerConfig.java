package io.latchkey.raft.tracker;

import io.latchkey.raft.quorum.JointConfig;
import io.latchkey.raft.quorum.MajorityConfig;

/**
 * The membership a {@link ProgressTracker} works with (etcd's {@code tracker.Config}).
 *
 * <p>Learners never overlap with either half of the voters, so every peer has one role
 * regardless of joint consensus. Demoting a voter while joint therefore cannot make it a
 * learner at once, as it is still a voter in the outgoing half: it waits in
 * {@link #learnersNext()} and becomes a learner when the joint config is left. A brand-new
 * learner has no such conflict and joins {@link #learners()} immediately so it starts
 * catching up early.
 *
 * <p>etcd distinguishes nil from empty learner sets; every reachable etcd state has them nil
 * exactly when empty, so plain (possibly empty) sets represent them here.
 */
public final class TrackerConfig {
    private final JointConfig voters;
    private boolean autoLeave;
    private final MajorityConfig learners;
    private final MajorityConfig learnersNext;

    /** No voters, no learners. */
    public TrackerConfig() {
        this(new JointConfig(), false, new MajorityConfig(), new MajorityConfig());
    }

    /** Takes ownership of the given sets (not copied). */
    public TrackerConfig(JointConfig voters, boolean autoLeave, MajorityConfig learners,
                         MajorityConfig learnersNext) {
        this.voters = voters;
        this.autoLeave = autoLeave;
        this.learners = learners;
        this.learnersNext = learnersNext;
    }

    /**
     * A deep copy. Unlike etcd's {@code Clone}, which drops AutoLeave, the flag is copied: the
     * configuration-change code sets it explicitly on every path where that matters.
     */
    public TrackerConfig copy() {
        return new TrackerConfig(voters.copy(), autoLeave, learners.copy(), learnersNext.copy());
    }

    public JointConfig voters() {
        return voters;
    }

    /**
     * Whether the Raft core should leave the joint config on its own as soon as it can; only
     * meaningful while joint, otherwise the application leaves explicitly.
     */
    public boolean autoLeave() {
        return autoLeave;
    }

    public void setAutoLeave(boolean autoLeave) {
        this.autoLeave = autoLeave;
    }

    public MajorityConfig learners() {
        return learners;
    }

    /** Outgoing voters that become learners once the joint config is left. */
    public MajorityConfig learnersNext() {
        return learnersNext;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrackerConfig other
                && voters.equals(other.voters) && autoLeave == other.autoLeave
                && learners.equals(other.learners) && learnersNext.equals(other.learnersNext);
    }

    @Override
    public int hashCode() {
        return ((voters.hashCode() * 31 + Boolean.hashCode(autoLeave)) * 31 + learners.hashCode()) * 31
                + learnersNext.hashCode();
    }

    /** e.g. "voters=(1 2)&&(1) learners=(3) learners_next=(4) autoleave", as etcd prints it. */
    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder("voters=").append(voters);
        if (!learners.isEmpty()) {
            buf.append(" learners=").append(learners);
        }
        if (!learnersNext.isEmpty()) {
            buf.append(" learners_next=").append(learnersNext);
        }
        if (autoLeave) {
            buf.append(" autoleave");
        }
        return buf.toString();
    }
}
