package io.latchkey.transport;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** One replica's transport, its own peer listener on 127.0.0.1, and a recording listener. */
final class TestNode implements AutoCloseable {
    static final String CLUSTER = "test-cluster";
    static final String SECRET = "test-secret-0123456789abcdef";

    final PeerTransportConfig config;
    final FileSnapshotStreams snapshots;
    final Http2PeerTransport transport;
    final RecordingListener listener = new RecordingListener();
    private PeerServer server;
    private int port;

    private TestNode(PeerTransportConfig config, Path snapshotDir) throws IOException {
        this.config = config;
        this.snapshots = new FileSnapshotStreams(snapshotDir);
        this.transport = new Http2PeerTransport(config, snapshots);
        this.server = PeerServer.start(config, transport.endpoint());
        this.port = server.port();
        transport.start(listener);
    }

    /**
     * Quick connect timeout and backoff so that failure scenarios finish in well under a second.
     * The silence a sender tolerates is long: these receivers never answer, as Raft would, so a
     * short one would report healthy peers unreachable (the silence has a test of its own).
     */
    static PeerTransportConfig config(long id) {
        return PeerTransportConfig.defaults(id, CLUSTER, SECRET)
                .withListen("127.0.0.1", 0)
                .withTimeouts(1_000, 60_000, 30_000)
                .withReconnectBackoff(10, 100);
    }

    /** A port nobody listens on now: for a node that must know its own URL before it listens. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static TestNode start(PeerTransportConfig config, Path snapshotDir) throws IOException {
        return new TestNode(config, snapshotDir);
    }

    String url() {
        return (config.tls() != null ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** The configuration names {@code sender} as a member: this node admits its requests. */
    void knows(TestNode sender) {
        transport.setPeer(sender.config.localNodeId(), sender.url());
    }

    /**
     * This node joins with nothing: it admits first contacts, hears from {@code leader}, which
     * added it, and answers it (index 1 one way, 5 the other).
     *
     * @throws AssertionError if a message does not arrive within {@code deadline}
     */
    void joinsUnder(TestNode leader, Duration deadline) throws InterruptedException {
        long id = config.localNodeId();
        long leaderId = leader.config.localNodeId();
        transport.acceptFirstContact();
        leader.transport.setPeer(id, url());
        leader.transport.send(List.of(append(leaderId, id, 1)));
        Message heard = Await.next(listener.received, deadline);
        if (heard.getFrom() != leaderId || heard.getIndex() != 1) {
            throw new AssertionError("not the leader's first message: " + heard);
        }
        transport.send(List.of(append(id, leaderId, 5)));
        Message answer = Await.next(leader.listener.received, deadline);
        if (answer.getFrom() != id || answer.getIndex() != 5) {
            throw new AssertionError("not the answer: " + answer);
        }
    }

    void stopListener() {
        server.close();
        server = null;
    }

    /** Listens again on the same port, as a restarted replica would. */
    void restartListener() {
        server = PeerServer.start(config.withListen("127.0.0.1", port), transport.endpoint());
    }

    @Override
    public void close() {
        transport.close();
        if (server != null) {
            server.close();
        }
    }

    /** A MsgApp shaped like the replication traffic: one entry with a 64-byte payload. */
    static Message append(long from, long to, long index) {
        return Message.newBuilder()
                .setType(MessageType.MsgApp).setFrom(from).setTo(to).setTerm(1)
                .setLogTerm(1).setIndex(index).setCommit(index)
                .addEntries(Entry.newBuilder().setTerm(1).setIndex(index + 1)
                        .setData(ByteString.copyFrom(new byte[64])))
                .build();
    }
}
