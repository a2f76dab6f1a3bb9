package io.latchkey.jepsen;

import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.History;
import io.latchkey.jepsen.checker.Operation;
import io.latchkey.jepsen.checker.Result;
import io.latchkey.jepsen.checker.Violation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What clients know about their locks' leases, on the history's clock, and the check that no
 * lock is granted while the previous holder's lease is still valid in replicated time.
 *
 * <p>The service measures leases on a lease clock that only the leader advances, at the rate of
 * its monotonic clock, and that a new leader resumes from the replicated value (so it never runs
 * ahead of real time). A renewal (the acquire that created the lease, or an OK keep-alive)
 * invoked at real time r sets the deadline to at least (lease clock at r) + TTL. A later grant
 * to someone else completing at real time g happened at lease clock at most (lease clock at r)
 * + (g - r). So if g - r &lt; TTL, and the holder never asked to release, the grant came while
 * the holder's lease was certainly valid: a violation. Grants slower than that prove nothing,
 * which keeps the check free of false alarms under pauses and elections.
 */
final class LeaseEvidence {
    /** A renewal of the lease of the grant with {@code token}, invoked and answered at these times. */
    record Renewal(String lock, long token, long leaseId, long invokeNanos, long completeNanos) {
    }

    record Releasing(String lock, long token, long invokeNanos) {
    }

    private final long ttlNanos;
    private final List<Renewal> renewals = new ArrayList<>();
    private final List<Releasing> releases = new ArrayList<>();

    LeaseEvidence(long ttlSeconds) {
        this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
    }

    synchronized void renewed(String lock, long token, long leaseId, long invokeNanos, long completeNanos) {
        renewals.add(new Renewal(lock, token, leaseId, invokeNanos, completeNanos));
    }

    synchronized void releasing(String lock, long token, long invokeNanos) {
        releases.add(new Releasing(lock, token, invokeNanos));
    }

    synchronized List<Renewal> renewals() {
        return List.copyOf(renewals);
    }

    synchronized List<Releasing> releases() {
        return List.copyOf(releases);
    }

    record Grant(Operation op, String lock, long token) {
    }

    /** Grant order per lock and lease validity at each grant. */
    List<Violation> check(History history) {
        List<Grant> grants = new ArrayList<>();
        for (Operation op : history.operations()) {
            if (op.call() instanceof Call.Acquire a && op.result() instanceof Result.Revision r) {
                grants.add(new Grant(op, a.lock(), r.revision()));
            }
        }
        List<Renewal> renewals = renewals();
        List<Releasing> releases = releases();
        List<Violation> violations = new ArrayList<>();
        for (Grant later : grants) {
            for (Grant earlier : grants) {
                if (!earlier.lock().equals(later.lock()) || earlier == later) {
                    continue;
                }
                if (earlier.op().completeNanos() < later.op().invokeNanos() && earlier.token() >= later.token()) {
                    violations.add(new Violation("lock " + later.lock() + " granted token " + later.token()
                            + " after token " + earlier.token() + " had been granted", List.of(earlier.op(), later.op())));
                }
                if (earlier.token() >= later.token()) {
                    continue;
                }
                long gaveUp = releases.stream().filter(r -> r.lock().equals(earlier.lock()) && r.token() == earlier.token())
                        .mapToLong(Releasing::invokeNanos).min().orElse(Long.MAX_VALUE);
                if (gaveUp <= later.op().completeNanos()) {
                    continue;
                }
                renewals.stream()
                        .filter(r -> r.lock().equals(earlier.lock()) && r.token() == earlier.token()
                                && r.completeNanos() < later.op().invokeNanos())
                        .max(Comparator.comparingLong(Renewal::invokeNanos))
                        .filter(r -> later.op().completeNanos() - r.invokeNanos() < ttlNanos)
                        .ifPresent(r -> violations.add(new Violation("lock " + later.lock() + " granted to token "
                                + later.token() + " while the lease " + r.leaseId() + " of token " + earlier.token()
                                + " was still valid: renewed at " + r.invokeNanos() + ", grant answered "
                                + TimeUnit.NANOSECONDS.toMillis(later.op().completeNanos() - r.invokeNanos())
                                + " ms later, TTL " + TimeUnit.NANOSECONDS.toMillis(ttlNanos) + " ms",
                                List.of(earlier.op(), later.op()))));
            }
        }
        return violations;
    }
}
