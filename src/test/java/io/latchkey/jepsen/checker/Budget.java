package io.latchkey.jepsen.checker;

import java.time.Duration;

/**
 * Limits one linearizability check: the search is exponential in the worst case (the problem is
 * NP-complete), so a check that exceeds either limit answers {@link Verdict#UNKNOWN} instead of
 * running unbounded.
 *
 * @param stepsMax model steps and backtracks over all partitions
 * @param timeMax  wall time over all partitions
 */
public record Budget(long stepsMax, Duration timeMax) {
    public Budget {
        if (stepsMax <= 0 || timeMax.isNegative() || timeMax.isZero()) {
            throw new IllegalArgumentException("budget must be positive: " + stepsMax + " steps, " + timeMax);
        }
    }
}
