package io.latchkey.node;

import com.google.protobuf.ByteString;

/**
 * A command to propose, with what the replica needs to apply a retried request once.
 *
 * @param payload            the state machine's command
 * @param idempotencyKey     empty, or a client key: a command with a key already applied is
 *                           not applied again and gets the first result
 * @param requestFingerprint a digest of the request the key came with (empty without a key):
 *                           the same key with another request is refused
 * @param proposedAtMillis   the leader's lease clock now; the replicated clock that expires
 *                           idempotency keys follows it (see {@link AppliedRequests}); or
 *                           {@link #UNSTAMPED}: the payload is to be stamped by the leader
 *                           (see {@link ProposalStamper})
 */
public record Proposal(ByteString payload, String idempotencyKey, ByteString requestFingerprint, long proposedAtMillis) {
    /** The proposing member cannot stamp: the leader stamps the payload before raft appends it. */
    public static final long UNSTAMPED = -1;

    public Proposal {
        if (idempotencyKey.isEmpty() && !requestFingerprint.isEmpty()) {
            throw new IllegalArgumentException("a request fingerprint needs an idempotency key");
        }
        if (proposedAtMillis < 0 && proposedAtMillis != UNSTAMPED) {
            throw new IllegalArgumentException("proposedAtMillis must be a lease clock time or UNSTAMPED");
        }
    }

    /** A command without an idempotency key. */
    public static Proposal of(ByteString payload, long proposedAtMillis) {
        return new Proposal(payload, "", ByteString.EMPTY, proposedAtMillis);
    }
}
