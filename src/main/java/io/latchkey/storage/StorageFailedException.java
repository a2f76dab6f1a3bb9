package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/**
 * A write could not be made durable, and the store stopped acknowledging writes. Nothing the
 * store handed out so far is wrong, but whether the last write reached PostgreSQL is unknown
 * until the node restarts and rebuilds its state from PostgreSQL.
 */
public final class StorageFailedException extends StorageException {
    StorageFailedException(String message, Throwable cause) {
        super(message + "; the store no longer acknowledges writes: restart the node to rebuild its state "
                + "from PostgreSQL", cause);
    }
}
