package io.latchkey.raft;

/** An operation on a node was refused; the node itself stays usable. */
public class RaftException extends RuntimeException {
    public RaftException(String message) {
        super(message);
    }

    /** For refusals that happen often and need no stack trace. */
    protected RaftException(String message, boolean writableStackTrace) {
        super(message, null, false, writableStackTrace);
    }
}
