package io.latchkey.raft;

/** The requested entries are not in the log (etcd's ErrUnavailable). */
public final class UnavailableException extends StorageException {
    /** Shared instance: the answer carries no state, so no trace is recorded. */
    public static final UnavailableException INSTANCE = new UnavailableException();

    private UnavailableException() {
        super("requested entry at index is unavailable", false);
    }
}
