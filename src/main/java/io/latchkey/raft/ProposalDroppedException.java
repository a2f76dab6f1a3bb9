package io.latchkey.raft;

/**
 * A proposal was dropped: there is no leader, a leadership transfer is in progress, the
 * uncommitted log is over its size limit, or the configuration forbids it. The caller may
 * retry (etcd's ErrProposalDropped).
 */
public final class ProposalDroppedException extends RaftException {
    public static final ProposalDroppedException INSTANCE = new ProposalDroppedException();

    private ProposalDroppedException() {
        super("raft proposal dropped", false);
    }
}
