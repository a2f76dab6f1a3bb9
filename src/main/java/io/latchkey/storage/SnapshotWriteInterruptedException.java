package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/**
 * A streamed snapshot lost its database connection before it was committed. Nothing of it was
 * kept and the store is still consistent; the stream was consumed, so the caller retries
 * with a fresh one.
 */
public final class SnapshotWriteInterruptedException extends StorageException {
    SnapshotWriteInterruptedException(long snapshotIndex, Throwable cause) {
        super("snapshot at index " + snapshotIndex + " was not saved (connection lost); retry with a fresh stream",
                cause);
    }
}
