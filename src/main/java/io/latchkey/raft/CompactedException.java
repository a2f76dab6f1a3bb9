package io.latchkey.raft;

/** The requested index predates the last snapshot (etcd's ErrCompacted). */
public final class CompactedException extends StorageException {
    /** Shared instance: the answer carries no state, so no trace is recorded. */
    public static final CompactedException INSTANCE = new CompactedException();

    private CompactedException() {
        super("requested index is unavailable due to compaction", false);
    }
}
