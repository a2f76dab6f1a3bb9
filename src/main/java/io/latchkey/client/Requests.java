package io.latchkey.client;

/** Request bodies of the wire API, as {@link LatchkeyApi} sends them. */
public final class Requests {
    private Requests() {
    }

    /** Exactly one of {@code leaseId} and {@code ttlSeconds}; {@code waitMillis} 0 is a try-lock. */
    public record Acquire(Long leaseId, Long ttlSeconds, Long waitMillis, String owner) {
    }

    public record Grant(long ttlSeconds) {
    }

    public record AddMember(String name, String peerUrl, String clientUrl) {
    }

    public record Transfer(String id) {
    }
}
