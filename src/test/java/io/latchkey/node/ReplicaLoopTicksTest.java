package io.latchkey.node;

import io.latchkey.node.proto.Member;
import io.latchkey.node.sim.CounterStateMachine;
import io.latchkey.node.sim.HandTransport;
import io.latchkey.node.sim.SimLogStore;
import io.latchkey.raft.DefaultLogger;
import io.latchkey.raft.ReadOnlyOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The loop's ticks follow its clock: here a clock the test moves, and a timer the test fires
 * (the real one, at one firing an hour, stays silent). Each query runs on the loop after the
 * ticks queued before it, so the counts are exact.
 */
class ReplicaLoopTicksTest {
    private static final Duration INTERVAL = Duration.ofHours(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final AtomicLong clock = new AtomicLong(1_000);
    private final Replica replica = new Replica(ReplicaConfig.defaults(1, 1, new SplittableRandom(1)), new SimLogStore(),
            HandTransport.silent(), new CounterStateMachine((index, payload) -> {
            }), DefaultLogger.stderr(), CrashPoints.NONE);
    private final ReplicaLoop loop = new ReplicaLoop(replica, HandTransport.silent(), INTERVAL, clock::get);

    @AfterEach
    void stop() {
        loop.close();
    }

    private long ticksDelivered() {
        return ReplicaLoop.join(loop.query(Replica::ticksSinceStart, TIMEOUT));
    }

    /** Waits for the loop to reach a state: Readies are handled after each batch of tasks. */
    private void await(Predicate<Replica> condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!ReplicaLoop.join(loop.query(condition::test, TIMEOUT))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not " + what + " within " + TIMEOUT + ": " + ReplicaLoop.join(loop.status(TIMEOUT)));
            }
            Thread.onSpinWait();
        }
    }

    private void advanceIntervals(int intervals) {
        clock.addAndGet(intervals * INTERVAL.toNanos());
    }

    @Test
    void timerLateByTwoElectionTimeouts_deliversHalfAnElectionTimeoutPerFiring_untilCaughtUp() {
        replica.bootstrap(List.of(Member.newBuilder().setId(1).build()));
        loop.start();

        advanceIntervals(20);
        loop.timerFired();
        assertThat(ticksDelivered()).isEqualTo(5);
        loop.timerFired();
        loop.timerFired();
        loop.timerFired();
        assertThat(ticksDelivered()).isEqualTo(20);
        loop.timerFired();
        assertThat(ticksDelivered()).as("none added").isEqualTo(20);
    }

    @Test
    void leaseRead_onTheLeader_firstTakesEveryTickDue() {
        replica.bootstrap(List.of(Member.newBuilder().setId(1).build()));
        loop.start();
        // A single member elects itself within two election timeouts, once it has applied its
        // bootstrap configuration (with a conf change pending it refuses to campaign).
        await(r -> r.appliedIndex() >= 1, "bootstrapped");
        advanceIntervals(20);
        for (int firing = 0; firing < 4; firing++) {
            loop.timerFired();
        }
        await(r -> r.leaderId() == 1, "leader");

        advanceIntervals(30);
        loop.timerFired();
        assertThat(ticksDelivered()).isEqualTo(25);
        ReplicaLoop.join(loop.readBarrier(ReadOnlyOption.ReadOnlyLeaseBased, TIMEOUT));
        assertThat(ticksDelivered()).isEqualTo(50);
    }
}
