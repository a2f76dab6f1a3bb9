package io.latchkey.client;

/** The answer to a keep-alive: the lease's TTL runs again from now. */
public record LeaseKeepAlive(long id, long ttlSeconds, long remainingMillis) {
}
