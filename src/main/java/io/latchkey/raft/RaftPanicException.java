package io.latchkey.raft;

/**
 * The core reached a state that breaks one of its invariants (etcd's {@code panic}). The
 * instance that threw it must not be used again.
 */
public final class RaftPanicException extends RuntimeException {
    public RaftPanicException(String message) {
        super(message);
    }
}
