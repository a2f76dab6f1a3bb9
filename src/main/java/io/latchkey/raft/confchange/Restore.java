package io.latchkey.raft.confchange;

import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.tracker.ProgressTracker;

import java.util.ArrayList;
import java.util.List;

/** Rebuilds a tracked configuration from a {@link ConfState} (etcd's {@code confchange.Restore}). */
public final class Restore {
    private Restore() {
    }

    /**
     * Replays the changes that lead from the (empty) configuration of {@code chg}'s tracker to
     * the one {@code cs} describes. The tracker itself is left untouched.
     *
     * <p>A joint state cannot be written down directly, so it is reached the way it arose:
     * first the outgoing voters are added one by one, making them the whole config; entering
     * the joint state then removes them all from the incoming half and adds the incoming
     * voters, the learners and the staged learners. For voters=(1 2 3) learners=(5)
     * outgoing=(1 2 4 6) learners_next=(4) that is "v1 v2 v4 v6" one at a time, then a joint
     * "r1 r2 r4 r6 v1 v2 v3 l5 l4", yielding (1 2 3)&&(1 2 4 6) learners=(5)
     * learners_next=(4). Whether 5 was a learner before does not matter.
     */
    public static ChangeResult restore(Changer chg, ConfState cs) throws ConfChangeException {
        List<ConfChangeSingle> outgoing = new ArrayList<>();
        List<ConfChangeSingle> incoming = new ArrayList<>();
        for (long id : cs.getVotersOutgoingList()) {
            outgoing.add(change(ConfChangeType.ConfChangeAddNode, id));
        }
        for (long id : cs.getVotersOutgoingList()) {
            incoming.add(change(ConfChangeType.ConfChangeRemoveNode, id));
        }
        for (long id : cs.getVotersList()) {
            incoming.add(change(ConfChangeType.ConfChangeAddNode, id));
        }
        for (long id : cs.getLearnersList()) {
            incoming.add(change(ConfChangeType.ConfChangeAddLearnerNode, id));
        }
        // Staged learners are outgoing voters that become learners after the joint state.
        for (long id : cs.getLearnersNextList()) {
            incoming.add(change(ConfChangeType.ConfChangeAddLearnerNode, id));
        }

        // Work on a private tracker so that the caller's stays as it was.
        ProgressTracker work = new ProgressTracker(chg.tracker().maxInflight(), chg.tracker().maxInflightBytes());
        work.setConfig(chg.tracker().config());
        work.setProgress(chg.tracker().progress());
        Changer step = new Changer(work, chg.lastIndex());
        if (outgoing.isEmpty()) {
            for (ConfChangeSingle cc : incoming) {
                install(work, step.simple(List.of(cc)));
            }
        } else {
            for (ConfChangeSingle cc : outgoing) {
                install(work, step.simple(List.of(cc)));
            }
            install(work, step.enterJoint(cs.getAutoLeave(), incoming));
        }
        return new ChangeResult(work.config(), work.progress());
    }

    private static void install(ProgressTracker work, ChangeResult result) {
        work.setConfig(result.config());
        work.setProgress(result.progress());
    }

    private static ConfChangeSingle change(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }
}
