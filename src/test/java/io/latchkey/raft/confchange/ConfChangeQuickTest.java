package io.latchkey.raft.confchange;

import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.tracker.ProgressTracker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Applying changes one at a time and applying them all through a joint configuration end in
 * the same configuration and progress.
 */
class ConfChangeQuickTest {
    @Test
    void simpleAndJointChangesAgree() throws ConfChangeException {
        Random rnd = new Random(7);
        for (int run = 0; run < 1000; run++) {
            List<ConfChangeSingle> setup = initialChanges(rnd);
            List<ConfChangeSingle> ccs = changes(rnd);

            Changer viaSimple = runSimple(new Changer(new ProgressTracker(10, 0), 10), setup);
            viaSimple = runSimple(viaSimple, ccs);
            Changer viaJoint = runJoint(runSimple(new Changer(new ProgressTracker(10, 0), 10), setup), ccs);

            assertThat(render(viaJoint)).as("setup %s, changes %s", Changer.describe(setup), Changer.describe(ccs))
                    .isEqualTo(render(viaSimple));
        }
    }

    private static Changer runSimple(Changer c, List<ConfChangeSingle> ccs) throws ConfChangeException {
        for (ConfChangeSingle cc : ccs) {
            c = install(c, c.simple(List.of(cc)));
        }
        return c;
    }

    /** Enters and leaves a joint config, checking that auto-leave changes nothing else. */
    private static Changer runJoint(Changer c, List<ConfChangeSingle> ccs) throws ConfChangeException {
        ChangeResult entered = c.enterJoint(false, ccs);
        ChangeResult enteredAuto = c.enterJoint(true, ccs);
        assertThat(enteredAuto.config().autoLeave()).isTrue();
        enteredAuto.config().setAutoLeave(false);
        assertThat(enteredAuto.config()).isEqualTo(entered.config());
        assertThat(enteredAuto.progress()).hasToString(entered.progress().toString());

        Changer joint = install(c, entered);
        ChangeResult left = joint.leaveJoint();
        ChangeResult leftAgain = install(c, entered).leaveJoint();
        assertThat(leftAgain.config()).isEqualTo(left.config());
        assertThat(leftAgain.progress()).hasToString(left.progress().toString());
        return install(c, left);
    }

    private static Changer install(Changer c, ChangeResult r) {
        ProgressTracker t = new ProgressTracker(c.tracker().maxInflight(), c.tracker().maxInflightBytes());
        t.setConfig(r.config());
        t.setProgress(r.progress());
        return new Changer(t, c.lastIndex());
    }

    private static String render(Changer c) {
        return c.tracker().config() + "\n" + c.tracker().progress();
    }

    /** Node 1 as voter, then 1-5 more voters among ids 1-5, so there is always a voter. */
    private static List<ConfChangeSingle> initialChanges(Random rnd) {
        List<ConfChangeSingle> ccs = new ArrayList<>();
        ccs.add(cc(ConfChangeType.ConfChangeAddNode, 1));
        int n = 1 + rnd.nextInt(5);
        for (int i = 0; i < n; i++) {
            ccs.add(cc(ConfChangeType.ConfChangeAddNode, 1 + rnd.nextInt(5)));
        }
        return ccs;
    }

    /** 1-9 random changes to ids 2-10; node 1 is never touched and stays a voter. */
    private static List<ConfChangeSingle> changes(Random rnd) {
        List<ConfChangeSingle> ccs = new ArrayList<>();
        int n = 1 + rnd.nextInt(9);
        ConfChangeType[] types = ConfChangeType.values();
        for (int i = 0; i < n; i++) {
            ConfChangeType type = types[rnd.nextInt(types.length)];
            ccs.add(cc(type, 2 + rnd.nextInt(9)));
        }
        return ccs;
    }

    private static ConfChangeSingle cc(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }
}
