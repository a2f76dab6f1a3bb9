package io.latchkey.raft.confchange;

import io.latchkey.raft.quorum.MajorityConfig;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.tracker.Inflights;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.ProgressMap;
import io.latchkey.raft.tracker.ProgressTracker;
import io.latchkey.raft.tracker.TrackerConfig;

import java.util.List;
import java.util.Map;

/**
 * Validates and computes configuration changes, both simple ones and joint consensus (Raft
 * thesis, section 4.3), without touching the tracker it reads from: every method works on
 * copies and returns the result, so a refused change leaves the active configuration intact.
 *
 * <p>Changes to voters always apply to the incoming half ({@code voters().incoming()}); the
 * outgoing half is empty, or holds the previous voters while a joint transition is under way.
 */
public final class Changer {
    private final ProgressTracker tracker;
    private final long lastIndex;

    /**
     * @param tracker   the active configuration and progress, only read
     * @param lastIndex the leader's last log index, where new peers start being probed
     */
    public Changer(ProgressTracker tracker, long lastIndex) {
        this.tracker = tracker;
        this.lastIndex = lastIndex;
    }

    public ProgressTracker tracker() {
        return tracker;
    }

    public long lastIndex() {
        return lastIndex;
    }

    /**
     * Enters a joint configuration: the current voters become the outgoing half, and
     * {@code ccs} are applied to a copy of them that becomes the incoming half, e.g. from
     * (1 2 3) to (1 2 4)&&(1 2 3) for "r3 v4". With {@code autoLeave} the Raft core leaves the
     * joint state by itself once it can.
     */
    public ChangeResult enterJoint(boolean autoLeave, List<ConfChangeSingle> ccs) throws ConfChangeException {
        TrackerConfig cfg = copyConfig();
        ProgressMap trk = copyProgress();
        checkInvariants(cfg, trk);
        if (joint(cfg)) {
            throw new ConfChangeException("config is already joint");
        }
        if (cfg.voters().incoming().isEmpty()) {
            // Adding voters to an empty config is fine (bootstrap, tests), but a joint config
            // with an empty half would not mean anything.
            throw new ConfChangeException("can't make a zero-voter config joint");
        }
        MajorityConfig outgoing = cfg.voters().outgoing();
        outgoing.clear();
        outgoing.addAll(cfg.voters().incoming());

        apply(cfg, trk, ccs);
        cfg.setAutoLeave(autoLeave);
        checkInvariants(cfg, trk);
        return new ChangeResult(cfg, trk);
    }

    /**
     * Leaves a joint configuration: the outgoing half is dropped, staged learners become
     * learners, and peers that are in neither the incoming half nor the learners are no
     * longer tracked.
     */
    public ChangeResult leaveJoint() throws ConfChangeException {
        TrackerConfig cfg = copyConfig();
        ProgressMap trk = copyProgress();
        checkInvariants(cfg, trk);
        if (!joint(cfg)) {
            throw new ConfChangeException("can't leave a non-joint config");
        }
        cfg.learnersNext().forEach(id -> {
            cfg.learners().add(id);
            trk.get(id).setIsLearner(true);
        });
        cfg.learnersNext().clear();

        cfg.voters().outgoing().forEach(id -> {
            if (!cfg.voters().incoming().contains(id) && !cfg.learners().contains(id)) {
                trk.remove(id);
            }
        });
        cfg.voters().outgoing().clear();
        cfg.setAutoLeave(false);
        checkInvariants(cfg, trk);
        return new ChangeResult(cfg, trk);
    }

    /**
     * Applies {@code ccs} directly, without joint consensus. That is only safe when, taken
     * together, they add or remove at most one voter, which is checked, as is that the
     * configuration is not joint and keeps at least one voter.
     */
    public ChangeResult simple(List<ConfChangeSingle> ccs) throws ConfChangeException {
        TrackerConfig cfg = copyConfig();
        ProgressMap trk = copyProgress();
        checkInvariants(cfg, trk);
        if (joint(cfg)) {
            throw new ConfChangeException("can't apply simple config change in joint config");
        }
        apply(cfg, trk, ccs);
        if (symdiff(tracker.voters().incoming(), cfg.voters().incoming()) > 1) {
            throw new ConfChangeException("more than one voter changed without entering joint config");
        }
        checkInvariants(cfg, trk);
        return new ChangeResult(cfg, trk);
    }

    private void apply(TrackerConfig cfg, ProgressMap trk, List<ConfChangeSingle> ccs)
            throws ConfChangeException {
        for (ConfChangeSingle cc : ccs) {
            long id = cc.getNodeId();
            if (id == 0) {
                // etcd zeroes the node id of changes it decided not to apply; skip those.
                continue;
            }
            // Unlike Go, protobuf-java keeps unknown enum numbers out of getType(), so etcd's
            // "unexpected conf type" cannot happen here.
            switch (cc.getType()) {
                case ConfChangeAddNode -> makeVoter(cfg, trk, id);
                case ConfChangeAddLearnerNode -> makeLearner(cfg, trk, id);
                case ConfChangeRemoveNode -> remove(cfg, trk, id);
                case ConfChangeUpdateNode -> {
                    // Membership is unaffected; the application handles the update itself.
                }
            }
        }
        if (cfg.voters().incoming().isEmpty()) {
            throw new ConfChangeException("removed all voters");
        }
    }

    /** Adds {@code id} as a voter of the incoming half, promoting it if it was a learner. */
    private void makeVoter(TrackerConfig cfg, ProgressMap trk, long id) {
        Progress pr = trk.get(id);
        if (pr == null) {
            initProgress(cfg, trk, id, false);
            return;
        }
        pr.setIsLearner(false);
        cfg.learners().remove(id);
        cfg.learnersNext().remove(id);
        cfg.voters().incoming().add(id);
    }

    /**
     * Makes {@code id} a learner. A peer that is still a voter of the outgoing half cannot be a
     * learner at the same time, so it is staged in learnersNext until the joint config is
     * left; otherwise it becomes a learner right away (new peer or demoted incoming voter).
     */
    private void makeLearner(TrackerConfig cfg, ProgressMap trk, long id) {
        Progress pr = trk.get(id);
        if (pr == null) {
            initProgress(cfg, trk, id, true);
            return;
        }
        if (pr.isLearner()) {
            return;
        }
        // Drop it from the incoming voters, but keep tracking its progress.
        remove(cfg, trk, id);
        trk.put(id, pr);
        if (cfg.voters().outgoing().contains(id)) {
            cfg.learnersNext().add(id);
        } else {
            pr.setIsLearner(true);
            cfg.learners().add(id);
        }
    }

    /** Removes {@code id} from the incoming half and the learners. */
    private void remove(TrackerConfig cfg, ProgressMap trk, long id) {
        if (!trk.containsKey(id)) {
            return;
        }
        cfg.voters().incoming().remove(id);
        cfg.learners().remove(id);
        cfg.learnersNext().remove(id);
        // An outgoing voter still takes part in decisions, so its progress must stay.
        if (!cfg.voters().outgoing().contains(id)) {
            trk.remove(id);
        }
    }

    private void initProgress(TrackerConfig cfg, ProgressMap trk, long id, boolean isLearner) {
        if (isLearner) {
            cfg.learners().add(id);
        } else {
            cfg.voters().incoming().add(id);
        }
        Progress pr = new Progress();
        // Probing from the last index is optimistic (a new peer usually has no log and will
        // need a snapshot), but it is what etcd does; next must stay above match (0).
        pr.setNext(Math.max(lastIndex, 1));
        pr.setInflights(new Inflights(tracker.maxInflight(), tracker.maxInflightBytes()));
        pr.setIsLearner(isLearner);
        // Count a new peer as active, or check-quorum could depose the leader before the peer
        // had a chance to answer.
        pr.setRecentActive(true);
        trk.put(id, pr);
    }

    /**
     * Checks that the configuration and the progress map agree. Runs on what the changer
     * starts from and on what it returns. An empty configuration is allowed so that an initial
     * one can be built from nothing.
     */
    private static void checkInvariants(TrackerConfig cfg, ProgressMap trk) throws ConfChangeException {
        for (long id : cfg.voters().ids().slice()) {
            requireProgress(trk, id);
        }
        for (long id : cfg.learners().slice()) {
            requireProgress(trk, id);
        }
        for (long id : cfg.learnersNext().slice()) {
            requireProgress(trk, id);
        }

        // A learner is staged only because it is still an outgoing voter.
        for (long id : cfg.learnersNext().slice()) {
            if (!cfg.voters().outgoing().contains(id)) {
                throw new ConfChangeException(id + " is in LearnersNext, but not Voters[1]");
            }
            if (trk.get(id).isLearner()) {
                throw new ConfChangeException(id + " is in LearnersNext, but is already marked as learner");
            }
        }
        // Learners and voters never overlap.
        for (long id : cfg.learners().slice()) {
            if (cfg.voters().outgoing().contains(id)) {
                throw new ConfChangeException(id + " is in Learners and Voters[1]");
            }
            if (cfg.voters().incoming().contains(id)) {
                throw new ConfChangeException(id + " is in Learners and Voters[0]");
            }
            if (!trk.get(id).isLearner()) {
                throw new ConfChangeException(id + " is in Learners, but is not marked as learner");
            }
        }

        // etcd also demands that an empty outgoing half and learnersNext be nil rather than
        // empty maps; without that distinction here, and with staged learners already required
        // to be outgoing voters above, only the auto-leave flag remains to check.
        if (!joint(cfg) && cfg.autoLeave()) {
            throw new ConfChangeException("AutoLeave must be false when not joint");
        }
    }

    private static void requireProgress(ProgressMap trk, long id) throws ConfChangeException {
        if (!trk.containsKey(id)) {
            throw new ConfChangeException("no progress for " + id);
        }
    }

    private TrackerConfig copyConfig() {
        return tracker.config().copy();
    }

    /** Copies each progress shallowly: changes only flip the learner flag on the copies. */
    private ProgressMap copyProgress() {
        ProgressMap trk = new ProgressMap();
        for (Map.Entry<Long, Progress> e : tracker.progress().entrySet()) {
            trk.put(e.getKey(), e.getValue().copy());
        }
        return trk;
    }

    /** How many ids are in exactly one of the two sets. */
    private static int symdiff(MajorityConfig l, MajorityConfig r) {
        int n = 0;
        for (long id : l.slice()) {
            if (!r.contains(id)) {
                n++;
            }
        }
        for (long id : r.slice()) {
            if (!l.contains(id)) {
                n++;
            }
        }
        return n;
    }

    private static boolean joint(TrackerConfig cfg) {
        return !cfg.voters().outgoing().isEmpty();
    }

    /** The changes as "Type(id)" words separated by spaces, e.g. "ConfChangeAddNode(2)". */
    public static String describe(List<ConfChangeSingle> ccs) {
        StringBuilder buf = new StringBuilder();
        for (ConfChangeSingle cc : ccs) {
            if (!buf.isEmpty()) {
                buf.append(' ');
            }
            buf.append(cc.getType()).append('(').append(cc.getNodeId()).append(')');
        }
        return buf.toString();
    }
}
