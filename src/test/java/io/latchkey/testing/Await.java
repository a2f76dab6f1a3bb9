package io.latchkey.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How tests wait: on a condition with a deadline, or (for pauses that are part of a scenario:
 * a client that stalls, a back-off after a refused request, a fault schedule) for a given time.
 */
public final class Await {
    /** How often a condition is checked again. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private Await() {
    }

    /** Whether {@code condition} held within {@code timeout}. */
    public static boolean within(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            pause(POLL_INTERVAL);
        }
        return true;
    }

    /** Waits for {@code condition}; fails naming {@code what} after {@code timeout}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        if (!within(timeout, condition)) {
            throw new AssertionError("timed out after " + timeout + " waiting until " + what);
        }
    }

    /** A deliberate pause of the scenario; returns early if the thread is interrupted. */
    public static void pause(Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        for (long left = duration.toNanos(); left > 0 && !Thread.currentThread().isInterrupted();
             left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
