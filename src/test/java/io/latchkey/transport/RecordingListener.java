package io.latchkey.transport;

import io.latchkey.node.PeerTransport;
import io.latchkey.raft.raftpb.Message;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Records what a transport reports, in queues that tests can wait on with a deadline. */
final class RecordingListener implements PeerTransport.Listener {
    record SnapshotOutcome(long peerId, boolean delivered) {
    }

    final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    final BlockingQueue<Long> unreachable = new LinkedBlockingQueue<>();
    final BlockingQueue<SnapshotOutcome> snapshots = new LinkedBlockingQueue<>();

    @Override
    public void received(Message message) {
        received.add(message);
    }

    @Override
    public void unreachable(long peerId) {
        unreachable.add(peerId);
    }

    @Override
    public void snapshotSent(long peerId, boolean delivered) {
        snapshots.add(new SnapshotOutcome(peerId, delivered));
    }
}
