package io.latchkey.node;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Tick delivery from a monotonic clock, driven here by a clock the test sets. */
class TickScheduleTest {
    private static final long MS = 1_000_000;
    private static final long START = 5_000 * MS;
    private static final int ELECTION_TICKS = 10;

    private final TickSchedule ticks = new TickSchedule(START, Duration.ofMillis(100), TickSchedule.burstMax(ELECTION_TICKS));

    @Test
    void onTimeTimer_deliversOneTickPerInterval() {
        assertThat(ticks.takeForTimer(START + 100 * MS)).isEqualTo(1);
        assertThat(ticks.takeForTimer(START + 200 * MS)).isEqualTo(1);
        assertThat(ticks.takeForTimer(START + 250 * MS)).isZero();
        assertThat(ticks.takeForTimer(START + 300 * MS)).isEqualTo(1);
    }

    @Test
    void lateTimer_catchesUpTheMissedTicks_atMostHalfAnElectionTimeoutAtOnce() {
        assertThat(ticks.takeForTimer(START + 100 * MS)).isEqualTo(1);

        // Paused for 2 s (a GC pause, SIGSTOP): 20 ticks are due at the next firing.
        assertThat(ticks.takeForTimer(START + 2_100 * MS)).isEqualTo(5);
        // The backlog drains at burstMax - 1 ticks per interval while the loop reads its messages.
        assertThat(ticks.takeForTimer(START + 2_200 * MS)).isEqualTo(5);
        assertThat(ticks.takeForTimer(START + 2_300 * MS)).isEqualTo(5);
        assertThat(ticks.takeForTimer(START + 2_400 * MS)).isEqualTo(5);
        assertThat(ticks.takeForTimer(START + 2_500 * MS)).isEqualTo(4);
        // Caught up: one tick per interval again, none lost and none added (26 ticks in 2.6 s).
        assertThat(ticks.takeForTimer(START + 2_600 * MS)).isEqualTo(1);
        assertThat(ticks.takeAll(START + 2_600 * MS)).isZero();
    }

    @Test
    void leaseDecision_takesEveryDueTick_howeverMany() {
        ticks.takeForTimer(START + 100 * MS);
        ticks.takeForTimer(START + 2_100 * MS); // 5 of the 20 due

        assertThat(ticks.takeAll(START + 2_150 * MS)).isEqualTo(15);
        assertThat(ticks.takeForTimer(START + 2_200 * MS)).isEqualTo(1);
        assertThat(ticks.takeAll(START + 2_250 * MS)).isZero();
    }

    @Test
    void firingThatWaitedInTheInbox_deliversTheTicksDueWhenItFired() {
        // The loop ran the firing of 300 ms only at 900 ms (it was busy): the firing counts the
        // ticks up to 300 ms; the ticks after it come with the firings queued behind the
        // messages that arrived in between.
        assertThat(ticks.takeForTimer(START + 300 * MS)).isEqualTo(3);
        assertThat(ticks.takeForTimer(START + 400 * MS)).isEqualTo(1);
    }

    @Test
    void clockBeforeTheStart_isNoTick() {
        assertThat(ticks.takeForTimer(START - 100 * MS)).isZero();
        assertThat(ticks.takeAll(START + 99 * MS)).isZero();
    }

    @Test
    void burstMax_isHalfAnElectionTimeout_andAtLeastOne() {
        assertThat(TickSchedule.burstMax(10)).isEqualTo(5);
        assertThat(TickSchedule.burstMax(25)).isEqualTo(12);
        assertThat(TickSchedule.burstMax(2)).isEqualTo(1);
    }
}
