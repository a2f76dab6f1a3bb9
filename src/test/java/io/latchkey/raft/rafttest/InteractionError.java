package io.latchkey.raft.rafttest;

/**
 * An error the harness reports in the script output rather than failing the test, like the
 * Go {@code error} values returned by upstream's handlers that are not raft or storage errors.
 */
public final class InteractionError extends RuntimeException {
    public InteractionError(String message) {
        super(message);
    }
}
