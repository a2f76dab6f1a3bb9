package io.latchkey.node;

import io.latchkey.raft.raftpb.Message;

import java.util.List;

/**
 * Carries Raft messages between the replicas of one cluster.
 *
 * <p>Contract: {@link #send} never blocks and never throws; a message that cannot be
 * delivered is dropped and reported through {@link Listener#unreachable}. Messages to one
 * peer are delivered in the order they were sent, or not at all. Snapshot messages
 * ({@code MsgSnap}) are reported through {@link Listener#snapshotSent} once delivered or
 * lost.
 */
public interface PeerTransport extends AutoCloseable {
    /** Starts delivering incoming messages to {@code listener}. */
    void start(Listener listener);

    /** Queues messages for their peers ({@link Message#getTo()}). */
    void send(List<Message> messages);

    /** Adds or updates the address of a peer; messages to unknown peers are dropped. */
    void setPeer(long id, String peerUrl);

    /** Forgets a peer that left the cluster. */
    void removePeer(long id);

    @Override
    void close();

    /** What the transport tells the replica. Implementations must not block. */
    interface Listener {
        /** A message arrived from a peer. */
        void received(Message message);

        /** A message to {@code peerId} was dropped: the peer is down or too slow. */
        void unreachable(long peerId);

        /** A snapshot to {@code peerId} was delivered ({@code delivered}) or lost. */
        void snapshotSent(long peerId, boolean delivered);
    }
}
