package io.latchkey.client;

import java.util.List;

/** A held lock as read: the holder's token, lease and owner, and the waiters in queue order. */
public record LockInfo(String name, long token, long leaseId, String owner, List<Waiter> waiters) {
    /** A request waiting in the lock's FIFO queue. */
    public record Waiter(long ticket, long leaseId, String owner) {
    }
}
