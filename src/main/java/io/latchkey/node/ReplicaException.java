package io.latchkey.node;

/**
 * A request to a replica failed. {@link #outcomeUnknown()} says whether it may still take
 * effect (retry with the same idempotency key to learn its result without applying it twice).
 */
public final class ReplicaException extends RuntimeException {
    public enum Reason { NO_LEADER, DROPPED, LEADER_CHANGED, STOPPED, TIMEOUT, IDEMPOTENCY_KEY_REUSED }

    private final Reason reason;

    private ReplicaException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Whether the request may have taken effect although it failed. */
    public boolean outcomeUnknown() {
        return reason == Reason.LEADER_CHANGED || reason == Reason.STOPPED || reason == Reason.TIMEOUT;
    }

    static ReplicaException noLeader() {
        return new ReplicaException(Reason.NO_LEADER, "no leader is known; retry later");
    }

    static ReplicaException dropped() {
        return new ReplicaException(Reason.DROPPED,
                "the proposal was refused (leadership transfer, size limit or configuration); retry later");
    }

    static ReplicaException confChangePending() {
        return new ReplicaException(Reason.DROPPED,
                "another membership change is not applied yet; nothing was changed, retry later");
    }

    static ReplicaException leaderChanged() {
        return new ReplicaException(Reason.LEADER_CHANGED,
                "the leader changed while the request was in flight; its outcome is unknown, retry with the same idempotency key");
    }

    static ReplicaException stopped() {
        return new ReplicaException(Reason.STOPPED, "the replica is stopping; the outcome is unknown");
    }

    static ReplicaException idempotencyKeyReused() {
        return new ReplicaException(Reason.IDEMPOTENCY_KEY_REUSED,
                "the idempotency key was already used for another request; nothing was applied: use a new key for a new request");
    }

    static ReplicaException timeout() {
        return new ReplicaException(Reason.TIMEOUT, "the request timed out; its outcome is unknown");
    }
}
