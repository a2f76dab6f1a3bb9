package io.latchkey.raft;

/** A message was refused at the node's door (etcd's ErrStepLocalMsg, ErrStepPeerNotFound). */
public final class StepRefusedException extends RaftException {
    /** A local message (e.g. MsgHup) arrived as if from a peer. */
    public static final StepRefusedException LOCAL_MESSAGE = new StepRefusedException("raft: cannot step raft local message");
    /** A response arrived from a node that is not a member. */
    public static final StepRefusedException PEER_NOT_FOUND = new StepRefusedException("raft: cannot step as peer not found");

    private StepRefusedException(String message) {
        super(message, false);
    }
}
