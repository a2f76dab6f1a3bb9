package io.latchkey.client;

/** A grant of a lock: its fencing token (grows with every grant of any lock) and the lease holding it. */
public record LockHeld(String name, long token, long leaseId, String owner) {
}
