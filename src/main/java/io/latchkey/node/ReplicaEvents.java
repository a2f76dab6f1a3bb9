package io.latchkey.node;

/**
 * Told about what a {@link Replica} does, for metrics. Called on the loop thread: an
 * implementation must be quick and must not block or throw.
 */
public interface ReplicaEvents {
    ReplicaEvents NONE = new ReplicaEvents() {
    };

    /** The known leader changed; 0 while none is known. */
    default void leaderChanged(long leaderId) {
    }

    /** A command was proposed through this replica. */
    default void proposed() {
    }
}
