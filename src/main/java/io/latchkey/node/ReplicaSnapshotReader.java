package io.latchkey.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.latchkey.node.proto.ReplicaSnapshot;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a {@link ReplicaSnapshot} as it streams in (the counterpart of
 * {@link ReplicaSnapshotImage}): the state field goes straight to the state machine as a stream
 * of its own, never held as one {@code bytes} value, so neither memory nor protobuf's 2 GiB
 * message limit bounds it. The other fields are small and parsed as usual.
 */
final class ReplicaSnapshotReader {
    /** A tag is the field number shifted past the 3 bits of its wire type. */
    private static final int STATE_TAG = ReplicaSnapshot.STATE_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    /** Restores a state machine from the state's bytes; must not close the stream. */
    @FunctionalInterface
    interface StateRestorer {
        void restore(InputStream state) throws IOException;
    }

    private ReplicaSnapshotReader() {
    }

    /**
     * Reads the whole snapshot from {@code in}, handing the state to {@code restorer} once
     * (an empty stream if the snapshot has no state), and returns the other fields.
     */
    static ReplicaSnapshot read(InputStream in, StateRestorer restorer) throws IOException {
        CodedInputStream coded = CodedInputStream.newInstance(in);
        ByteString.Output otherFields = ByteString.newOutput();
        CodedOutputStream otherOut = CodedOutputStream.newInstance(otherFields);
        boolean stateRead = false;
        for (int tag; (tag = coded.readTag()) != 0; ) {
            if (tag == STATE_TAG) {
                if (stateRead) {
                    throw new InvalidProtocolBufferException("snapshot has its state twice");
                }
                FieldStream state = new FieldStream(coded, coded.readRawVarint64());
                restorer.restore(state);
                state.skipRest();
                stateRead = true;
            } else {
                coded.skipField(tag, otherOut);
            }
            // The size limit counts bytes per message; a state is one field of any size.
            coded.resetSizeCounter();
        }
        if (!stateRead) {
            restorer.restore(InputStream.nullInputStream());
        }
        otherOut.flush();
        return ReplicaSnapshot.parseFrom(otherFields.toByteString());
    }

    /** The bytes of one length-delimited field, read from the enclosing message's stream. */
    private static final class FieldStream extends InputStream {
        private static final int SKIP_CHUNK_BYTES = 64 << 10;

        private final CodedInputStream coded;
        private long remaining;

        FieldStream(CodedInputStream coded, long lengthBytes) throws InvalidProtocolBufferException {
            if (lengthBytes < 0) {
                throw new InvalidProtocolBufferException("snapshot state of negative length");
            }
            this.coded = coded;
            this.remaining = lengthBytes;
        }

        @Override
        public int read() throws IOException {
            if (remaining == 0) {
                return -1;
            }
            remaining--;
            return coded.readRawByte() & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(length, remaining);
            System.arraycopy(coded.readRawBytes(n), 0, buffer, offset, n);
            remaining -= n;
            coded.resetSizeCounter();
            return n;
        }

        /** Reads past what the restorer left unread, so the fields after it can be read. */
        void skipRest() throws IOException {
            while (remaining > 0) {
                int n = (int) Math.min(SKIP_CHUNK_BYTES, remaining);
                coded.skipRawBytes(n);
                remaining -= n;
                coded.resetSizeCounter();
            }
        }
    }
}
