package io.latchkey.raft.confchange;

import io.latchkey.raft.datadriven.DataDriven;
import io.latchkey.raft.datadriven.TestData;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.tracker.ProgressTracker;

import java.util.List;

/**
 * Handler for etcd's confchange test files (confchange/testdata), one instance per file.
 * Commands: {@code simple}, {@code enter-joint [autoleave=true]} and {@code leave-joint}; the
 * first two take changes as input ("v1 l2 r3 u4": voter, learner, remove, update). Each
 * successful change is installed and printed as the configuration and the progress map;
 * a refused one prints the error. The last index grows by one per directive, so new peers
 * show where they would start being probed.
 */
public final class ConfChangeDataDriven implements DataDriven.Handler {
    private final ProgressTracker tracker = new ProgressTracker(10, 0);
    private long lastIndex;

    @Override
    public String handle(TestData d) {
        try {
            return apply(d);
        } finally {
            lastIndex++;
        }
    }

    private String apply(TestData d) {
        List<ConfChangeSingle> ccs;
        try {
            ccs = ConfChanges.fromString(d.input());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        Changer c = new Changer(tracker, lastIndex);
        ChangeResult result;
        try {
            result = switch (d.cmd()) {
                case "simple" -> c.simple(ccs);
                case "enter-joint" -> c.enterJoint(!d.cmdArgs().isEmpty() && d.scanBool("autoleave"), ccs);
                case "leave-joint" -> {
                    if (!ccs.isEmpty()) {
                        throw new ConfChangeException("this command takes no input");
                    }
                    yield c.leaveJoint();
                }
                default -> null;
            };
        } catch (ConfChangeException e) {
            return e.getMessage() + "\n";
        }
        if (result == null) {
            return "unknown command";
        }
        tracker.setConfig(result.config());
        tracker.setProgress(result.progress());
        return tracker.config() + "\n" + tracker.progress();
    }
}
