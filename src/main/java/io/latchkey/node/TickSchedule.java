package io.latchkey.node;

import java.time.Duration;

/**
 * Which Raft ticks a replica gets, and when, from a monotonic clock: tick {@code n} is due at
 * {@code start + n * interval}, and no tick is ever lost or added, so the replica's tick count
 * follows real time, which the leader lease rests on (raft package documentation, "Lease
 * reads", 3: bounded clock drift).
 *
 * <p>A timer firing delivers the ticks due <em>when it fired</em>, not when the loop gets to it:
 * the loop's inbox then holds ticks and received messages in the order they happened, and a
 * loop that lags behind (a slow fsync, CPU starvation) does not play all its ticks ahead of the
 * heartbeats and responses that arrived meanwhile. One firing delivers at most
 * {@link #burstMax(int)} ticks; ticks beyond that wait for the next firings. Without that bound a
 * process paused for two election timeouts (a GC pause, SIGSTOP) would get them all at once
 * before reading the messages waiting in its sockets: a follower would leave its live leader and
 * campaign, and a leader would pass two CheckQuorum points with nothing read in between and step
 * down, even while its followers had not yet given up on it.
 *
 * <p>Delaying ticks is safe for the lease: a follower that counts fewer ticks only keeps its
 * promise not to vote longer. A leader that counts fewer would trust its lease too long, so
 * before any lease decision the loop takes every due tick, however many ({@link #takeAll}).
 */
final class TickSchedule {
    private final long startNanos;
    private final long intervalNanos;
    private final int burstMax;
    /** Ticks handed to the replica so far. */
    private long delivered;

    /**
     * @param burstMax the most ticks one timer firing delivers; see {@link #burstMax(int)}
     */
    TickSchedule(long startNanos, Duration interval, int burstMax) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("tick interval must be positive");
        }
        if (burstMax < 1) {
            throw new IllegalArgumentException("burstMax must be positive");
        }
        this.startNanos = startNanos;
        this.intervalNanos = interval.toNanos();
        this.burstMax = burstMax;
    }

    /**
     * Half an election timeout: a burst then cannot by itself carry a follower that just heard
     * from its leader past its (randomized, at least {@code electionTicks}) election timeout, nor
     * carry a leader across two CheckQuorum points, which come {@code electionTicks} apart.
     * Between two firings the loop reads what arrived meanwhile. A backlog drains at
     * {@code burstMax - 1} ticks per interval: 5 intervals after a pause of 20 ticks with 10
     * election ticks.
     */
    static int burstMax(int electionTicks) {
        return Math.max(1, electionTicks / 2);
    }

    /** Ticks due by {@code nanos}, since the start. */
    long dueAt(long nanos) {
        return Math.max(0, (nanos - startNanos) / intervalNanos);
    }

    /**
     * For a timer firing at {@code firedAtNanos}: the ticks due by then and not delivered yet,
     * at most {@code burstMax}; they count as delivered.
     */
    int takeForTimer(long firedAtNanos) {
        int ticks = (int) Math.min(burstMax, Math.max(0, dueAt(firedAtNanos) - delivered));
        delivered += ticks;
        return ticks;
    }

    /** Before a lease decision: every tick due by {@code nowNanos}; they count as delivered. */
    long takeAll(long nowNanos) {
        long ticks = Math.max(0, dueAt(nowNanos) - delivered);
        delivered += ticks;
        return ticks;
    }
}
