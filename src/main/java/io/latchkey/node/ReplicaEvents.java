package io.latchkey.node;

import io.latchkey.raft.raftpb.Message;

import java.util.List;

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

    /**
     * A command proposed through this replica has its outcome: applied here (true), or failed
     * (false: no leader, dropped, the leader changed before it applied, refused, or stopping).
     */
    default void proposalFinished(boolean applied) {
    }

    /** The state at {@code index} was snapshotted here, or a snapshot of it installed from the leader. */
    default void snapshot(long index, long sizeBytes) {
    }

    /** Sending to a peer failed (a full queue, or its stream broke): Raft will probe it again. */
    default void peerUnreachable(long peerId) {
    }

    /** Leader: an append to {@code peerId} was acknowledged {@code nanos} after it was sent. */
    default void peerRoundTrip(long peerId, long nanos) {
    }

    /** New entries up to {@code lastIndex} are being persisted (and, by a leader, sent). */
    default void appending(long lastIndex, boolean leader) {
    }

    /** Entries up to {@code commitIndex} are committed and about to be applied. */
    default void committing(long commitIndex) {
    }

    /** Entries up to {@code appliedIndex} were applied. */
    default void applied(long appliedIndex) {
    }

    /** A peer's message is about to be stepped. */
    default void received(Message message) {
    }

    /** Messages are being handed to the transport. */
    default void sending(List<Message> messages) {
    }
}
