package io.latchkey.jepsen;

import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The RECONFIG nemesis's faults: one fault of the kill or pause kind alongside each step of a
 * membership change. During the removal, the addition, and the new member's catch-up and
 * promotion, one node is killed and restarted, or its JVM is stopped past the lease TTL, or
 * its PostgreSQL is stopped; the fault starts 0-2 s into the step, on its own thread, while the
 * step goes on; the next step starts once the node is back. The node is the leader (a conf
 * change proposed, or not yet committed, when the leader dies or stalls), the member being
 * replaced (during the removal: a member removed while it cannot hear of it, which wakes up
 * afterwards; during the join: the new learner, killed or stopped while it installs a snapshot
 * and catches up), or another member (with one member gone, the last two voters' quorum).
 * Every choice is drawn on the nemesis thread before the fault starts, so the schedule stays a
 * function of the seed even though the cluster decides who leads.
 */
final class StepCrashes implements Nemesis.Alongside {
    private enum Kind { KILL, PAUSE, PGPAUSE }

    private enum Aim { LEADER, VICTIM, OTHER }

    private final Nemesis nemesis;
    private final Nodes nodes;
    private final Random random;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private Thread fault;

    StepCrashes(Nemesis nemesis, Nodes nodes, Random random) {
        this.nemesis = nemesis;
        this.nodes = nodes;
        this.random = random;
    }

    @Override
    public void begin(Nemesis.MemberStep step, int victim) {
        Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
        // While the new member is being added, nothing runs in the victim's slot.
        Aim aim = step == Nemesis.MemberStep.ADD ? (random.nextBoolean() ? Aim.LEADER : Aim.OTHER)
                : Aim.values()[random.nextInt(Aim.values().length)];
        int other = (victim + 1 + random.nextInt(nodes.size() - 1)) % nodes.size();
        long delayMillis = random.nextInt(2000);
        long millis = switch (kind) {
            case KILL -> Nemesis.killMillis(random);
            case PAUSE -> Nemesis.pauseMillis(random);
            case PGPAUSE -> Nemesis.postgresPauseMillis(random);
        };
        String during = "during " + step.name().toLowerCase() + " (node " + (victim + 1) + "'s member)";
        fault = Thread.ofPlatform().name("jepsen-nemesis-" + step.name().toLowerCase()).start(() -> {
            try {
                if (!nemesis.sleep(delayMillis)) {
                    return;
                }
                int n = switch (aim) {
                    case LEADER -> leaderOr(other, step, victim);
                    case VICTIM -> victim;
                    case OTHER -> other;
                };
                nemesis.log(during + ": " + kind.name().toLowerCase() + " node " + (n + 1)
                        + (aim == Aim.LEADER && n != other ? " (the leader)" : ""));
                switch (kind) {
                    case KILL -> nemesis.kill(n, millis);
                    case PAUSE -> nemesis.pause(n, millis);
                    case PGPAUSE -> nemesis.pausePostgres(n, millis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                failure.set(e);
            }
        });
    }

    /** The leader now, unless none is known or it is the slot being replaced while it has no member. */
    private int leaderOr(int other, Nemesis.MemberStep step, int victim) {
        int leader = nodes.leader();
        return leader < 0 || (step == Nemesis.MemberStep.ADD && leader == victim) ? other : leader;
    }

    @Override
    public void end() throws InterruptedException {
        if (fault != null) {
            fault.join();
            fault = null;
        }
        Exception e = failure.getAndSet(null);
        if (e != null) {
            throw new IllegalStateException("fault alongside a membership change failed", e);
        }
    }
}
