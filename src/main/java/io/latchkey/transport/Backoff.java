package io.latchkey.transport;

/**
 * Exponential pause between attempts to reach a peer that failed. No jitter: there is one
 * connection per peer pair, so no herd of clients retries in lockstep. Requests in flight
 * reset it from their own threads.
 */
final class Backoff {
    private final long millisMin;
    private final long millisMax;
    private long nextMillis;

    Backoff(long millisMin, long millisMax) {
        this.millisMin = millisMin;
        this.millisMax = millisMax;
        this.nextMillis = millisMin;
    }

    /** The pause to take now; the following one doubles, up to the maximum. */
    synchronized long nextDelayMillis() {
        long delay = nextMillis;
        nextMillis = Math.min(millisMax, nextMillis * 2);
        return delay;
    }

    /** The peer answered: start over from the minimum at the next failure. */
    synchronized void reset() {
        nextMillis = millisMin;
    }
}
