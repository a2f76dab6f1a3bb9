package io.latchkey.raft;

/** A snapshot was requested at an index older than the existing one (etcd's ErrSnapOutOfDate). */
public final class SnapOutOfDateException extends StorageException {
    /** Shared instance: the answer carries no state, so no trace is recorded. */
    public static final SnapOutOfDateException INSTANCE = new SnapOutOfDateException();

    private SnapOutOfDateException() {
        super("requested index is older than the existing snapshot", false);
    }
}
