package io.latchkey.jepsen.checker;

/**
 * What the service answered to an {@link Outcome#OK} operation.
 *
 * <p>A refusal whose reason a model can check (CAS mismatch 412, stale fencing token 412, release
 * by a non-holder 409, delete of an absent key 404) is recorded as OK with {@link Rejected}, not as
 * {@link Outcome#FAIL}: the checker then also verifies that the refusal was justified. FAIL is for
 * errors that prove nothing happened without saying anything about the state (validation errors,
 * a connection refused before the request was sent, an acquire that timed out in the queue).
 */
public sealed interface Result {

    /** A read's answer: {@code value} null means the key is absent, and then modRevision is 0. */
    record ValueAt(String value, long modRevision) implements Result {
        public ValueAt {
            if ((value == null) != (modRevision == 0)) {
                throw new IllegalArgumentException(
                        "absent keys (null value) and only they have modRevision 0: " + value + "@" + modRevision);
            }
        }
    }

    /** The global revision a write created; for a lock grant, the fencing token. */
    record Revision(long revision) implements Result {
        public Revision {
            if (revision <= 0) {
                throw new IllegalArgumentException("revisions start at 1: " + revision);
            }
        }
    }

    /** Success of an operation that returns nothing (release). */
    record Done() implements Result {
    }

    /** The service refused a conditional operation because its condition did not hold. */
    record Rejected() implements Result {
    }
}
