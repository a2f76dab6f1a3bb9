package io.latchkey.raft;

/** The node was stopped; nothing more can be done with it (etcd's ErrStopped). */
public final class NodeStoppedException extends RaftException {
    public static final NodeStoppedException INSTANCE = new NodeStoppedException();

    private NodeStoppedException() {
        super("raft: stopped", false);
    }
}
