package io.latchkey.raft;

/**
 * A {@link Storage} could not answer. The subclasses are the answers the core expects and
 * handles (etcd's sentinel errors); any other instance means the storage failed, and the
 * core stops taking part until the application recovers it.
 */
public class StorageException extends RuntimeException {
    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For the expected answers, which are thrown often and need no stack trace. */
    protected StorageException(String message, boolean writableStackTrace) {
        super(message, null, false, writableStackTrace);
    }
}
