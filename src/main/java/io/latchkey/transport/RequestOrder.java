package io.latchkey.transport;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Puts each sender's message requests back into the order it sent them. A sender keeps several
 * requests in flight on its connection and numbers them; HTTP/2 streams are served concurrently,
 * so a request may get here before the one sent ahead of it, and then waits for it. Raft would
 * survive reordering, but a follower that steps appends out of order rejects them and makes the
 * leader probe and resend.
 *
 * <p>A sender's newer connection takes over (it opens one after any failure, and the requests
 * of the failed one are lost anyway): requests of an older connection still waiting, or
 * arriving late, are refused, so nothing sent before a reconnection is delivered after anything
 * sent after it. A restarted sender (another incarnation) takes over the same way. A gap that
 * never fills (the sender gave up on a request it could not get through) is bounded by
 * {@code waitMillisMax}, after which the waiting request is refused.
 */
final class RequestOrder {
    /** How a request fared. */
    enum Turn {
        /** It was its turn; the work ran. */
        RAN,
        /** A newer connection of the sender took over, or the number was already used. */
        SUPERSEDED,
        /** The requests before it did not arrive in time. */
        TIMED_OUT
    }

    private final long waitNanosMax;
    private final ConcurrentHashMap<Long, Sender> senders = new ConcurrentHashMap<>();

    RequestOrder(long waitMillisMax) {
        this.waitNanosMax = TimeUnit.MILLISECONDS.toNanos(waitMillisMax);
    }

    /** The connection and next expected number of one sender; its own monitor. */
    private static final class Sender {
        String incarnation = "";
        long connection = -1;
        long next;
    }

    /**
     * Runs {@code work} (the delivery of the request's messages) once every earlier request of
     * the same connection has run, and never after a request of a newer connection.
     */
    Turn inTurn(long from, String incarnation, long connection, long sequence, Runnable work)
            throws InterruptedException {
        Sender sender = senders.computeIfAbsent(from, id -> new Sender());
        synchronized (sender) {
            boolean sameIncarnation = sender.incarnation.equals(incarnation);
            if (!sameIncarnation || connection > sender.connection) {
                sender.incarnation = incarnation;
                sender.connection = connection;
                sender.next = 0;
                sender.notifyAll();
            } else if (connection < sender.connection) {
                return Turn.SUPERSEDED;
            }
            long deadline = System.nanoTime() + waitNanosMax;
            while (sequence != sender.next) {
                if (sequence < sender.next) {
                    return Turn.SUPERSEDED;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Turn.TIMED_OUT;
                }
                TimeUnit.NANOSECONDS.timedWait(sender, left);
                if (!sender.incarnation.equals(incarnation) || sender.connection != connection) {
                    return Turn.SUPERSEDED;
                }
            }
            try {
                work.run();
            } finally {
                sender.next++;
                sender.notifyAll();
            }
            return Turn.RAN;
        }
    }
}
