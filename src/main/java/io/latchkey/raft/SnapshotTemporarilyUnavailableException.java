package io.latchkey.raft;

/** The snapshot is being prepared; ask again later (etcd's ErrSnapshotTemporarilyUnavailable). */
public final class SnapshotTemporarilyUnavailableException extends StorageException {
    /** Shared instance: the answer carries no state, so no trace is recorded. */
    public static final SnapshotTemporarilyUnavailableException INSTANCE = new SnapshotTemporarilyUnavailableException();

    private SnapshotTemporarilyUnavailableException() {
        super("snapshot is temporarily unavailable", false);
    }
}
