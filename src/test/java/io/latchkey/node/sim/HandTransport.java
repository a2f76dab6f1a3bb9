package io.latchkey.node.sim;

import io.latchkey.node.PeerTransport;
import io.latchkey.raft.raftpb.Message;

import java.util.List;
import java.util.function.Consumer;

/** A transport whose messages go where the test says, to be delivered by hand (or nowhere). */
public final class HandTransport implements PeerTransport {
    private final Consumer<List<Message>> sink;

    public HandTransport(Consumer<List<Message>> sink) {
        this.sink = sink;
    }

    /** Sends into the void: for a single member, or a test that looks only at one replica. */
    public static HandTransport silent() {
        return new HandTransport(messages -> {
        });
    }

    @Override
    public void start(Listener listener) {
    }

    @Override
    public void send(List<Message> messages) {
        sink.accept(messages);
    }

    @Override
    public void setPeer(long id, String peerUrl) {
    }

    @Override
    public void removePeer(long id) {
    }

    @Override
    public void close() {
    }
}
