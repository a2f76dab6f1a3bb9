package io.latchkey.raft.datadriven;

/** A test file or a directive in it could not be processed (malformed line, bad argument). */
public final class DataDrivenException extends RuntimeException {
    public DataDrivenException(String message) {
        super(message);
    }

    public DataDrivenException(String message, Throwable cause) {
        super(message, cause);
    }
}
