package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/** Stored data fails its checksum: it was damaged after it was written, and is never used. */
public final class StorageCorruptionException extends StorageException {
    StorageCorruptionException(String message) {
        super(message + ": the stored data is damaged. Restore the node's database from a backup, or remove the member "
                + "and add it back with an empty data directory so that it is sent a fresh snapshot");
    }
}
