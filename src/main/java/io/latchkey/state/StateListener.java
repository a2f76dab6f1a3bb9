package io.latchkey.state;

import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.LockGrant;

/**
 * Told what an applied command changed, so the REST layer can push watch events and answer
 * waiting lock requests without polling. Called on the apply thread, after the command's
 * changes are all in place (the view already shows them), in the order they happened.
 * Implementations must not block and must not throw: they hand the news to other threads.
 */
public interface StateListener {
    StateListener NONE = new StateListener() {
    };

    /** A key was put or deleted; the same event is now in the watch history. */
    default void keyChanged(Event event) {
    }

    /** A lock was granted, at once or to a waiter ({@code grant.getTicket()} names the wait). */
    default void lockGranted(LockGrant grant) {
    }

    /** A waiter left the queue without the lock (its lease was revoked or it gave up). */
    default void waiterRemoved(String lockName, long ticket) {
    }

    default void leaseRevoked(long leaseId) {
    }
}
