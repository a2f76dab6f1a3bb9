package io.latchkey.client;

/** A granted lease. */
public record LeaseGrant(long id, long ttlSeconds) {
}
