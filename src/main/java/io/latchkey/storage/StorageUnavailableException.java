package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/**
 * PostgreSQL could not be reached or used when the node started. The node should report
 * itself not ready and let its operator (or supervisor) fix the cause; retrying in a loop
 * would only fill the log.
 */
public final class StorageUnavailableException extends StorageException {
    StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
