package io.latchkey.node;

import com.google.protobuf.ByteString;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated application state. Every replica applies the same commands in the same
 * order, so {@link #apply} must be deterministic: no clock, no randomness, no I/O whose
 * outcome can differ between replicas.
 */
public interface StateMachine {
    /**
     * Applies a committed command and returns its result for the proposer.
     *
     * @param index the log index of the command; strictly increasing across calls
     */
    ByteString apply(long index, ByteString command);

    /** Serializes the whole state as of the last applied command, deterministically. */
    void writeSnapshot(OutputStream out) throws IOException;

    /**
     * Captures the state as of the last applied command for a snapshot written later, off the
     * loop ({@link SnapshotImage}); writes the same bytes as {@link #writeSnapshot}. This
     * default serializes at once; a state machine whose state is large captures an immutable
     * view instead.
     */
    default SnapshotImage captureSnapshot() {
        ByteString.Output out = ByteString.newOutput();
        try {
            writeSnapshot(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return SnapshotImage.of(out.toByteString());
    }

    /** Replaces the whole state with a snapshot written by {@link #writeSnapshot}. */
    void restoreSnapshot(InputStream in) throws IOException;
}
