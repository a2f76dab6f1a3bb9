package io.latchkey.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.latchkey.state.proto.StateBackup;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A backup ({@link StateBackup}, as {@code GET /v1/maintenance/snapshot} sends it) checked as it
 * streams past, for a restore of a state larger than the restoring process's memory: what
 * {@link Backups#read} checks, holding one element of the state at a time; then
 * {@link #readState} streams the state once more, into storage.
 *
 * @param revision       the state's revision
 * @param stateSizeBytes how many bytes the state takes
 * @param stateSha256    the state's SHA-256, checked against the one recorded
 */
public record CheckedBackup(long revision, long appliedIndex, long clusterId, long stateSizeBytes, ByteString stateSha256) {
    private static final int STATE_TAG = StateBackup.STATE_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    /**
     * Reads the whole backup from {@code in} and checks it: the format, the checksum, that the
     * state decodes and that its revision is the one recorded.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     * @throws IOException              if {@code in} cannot be read
     */
    public static CheckedBackup check(InputStream in) throws IOException {
        CodedInputStream input = CodedInputStream.newInstance(in);
        ByteString.Output otherFields = ByteString.newOutput();
        CodedOutputStream otherOut = CodedOutputStream.newInstance(otherFields);
        StateField state = null;
        // The size limit counts bytes per message, reset field by field: a state is one field of any size.
        try {
            for (int tag; (tag = input.readTag()) != 0; input.resetSizeCounter()) {
                if (tag != STATE_TAG) {
                    input.skipField(tag, otherOut);
                } else if (state != null) {
                    throw new InvalidProtocolBufferException("the state appears twice");
                } else {
                    state = StateField.read(input);
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a Latchkey snapshot: " + e.getMessage(), e);
        }
        otherOut.flush();
        StateBackup backup = StateBackup.parseFrom(otherFields.toByteString());
        if (backup.getFormatVersion() != Backups.FORMAT_VERSION) {
            throw new IllegalArgumentException("snapshot format " + backup.getFormatVersion() + " is not "
                    + Backups.FORMAT_VERSION + " (not a Latchkey snapshot, or from a newer version)");
        }
        StateField checked = state == null ? StateField.EMPTY : state;
        if (!checked.sha256.equals(backup.getStateSha256())) {
            throw new IllegalArgumentException("the snapshot's state does not match its SHA-256: the file is damaged");
        }
        if (checked.decodeError != null) {
            throw new IllegalArgumentException("the snapshot's state does not decode: " + checked.decodeError);
        }
        if (checked.revision != backup.getRevision()) {
            throw new IllegalArgumentException("the snapshot says revision " + backup.getRevision() + " but its state is at "
                    + checked.revision);
        }
        return new CheckedBackup(backup.getRevision(), backup.getAppliedIndex(), backup.getClusterId(), checked.sizeBytes,
                checked.sha256);
    }

    /** Takes the state's bytes as a stream; must not close it. */
    @FunctionalInterface
    public interface StateReader {
        void read(InputStream state) throws IOException;
    }

    /**
     * Reads the backup {@link #check} checked once more from {@code in}, handing its state to
     * {@code reader} as a stream, digested on the way.
     *
     * @throws IllegalArgumentException if the state is not the one checked (the backup changed)
     */
    public void readState(InputStream in, StateReader reader) throws IOException {
        CodedInputStream input = CodedInputStream.newInstance(in);
        ByteString sha256 = StateField.EMPTY.sha256;
        for (int tag; (tag = input.readTag()) != 0; input.resetSizeCounter()) {
            if (tag != STATE_TAG) {
                input.skipField(tag);
                continue;
            }
            DigestingField state = new DigestingField(input, input.readRawVarint64());
            reader.read(state);
            state.skipRest();
            sha256 = ByteString.copyFrom(state.digest.digest());
        }
        if (!sha256.equals(stateSha256)) {
            throw new IllegalArgumentException("the backup changed since it was checked: its state's SHA-256 differs");
        }
    }

    /** What reading the state field found: its size, its digest, its revision or why it does not decode. */
    private record StateField(long sizeBytes, ByteString sha256, long revision, String decodeError) {
        static final StateField EMPTY = new StateField(0, ByteString.copyFrom(Sha256.newDigest().digest()), 0, null);

        static StateField read(CodedInputStream input) throws IOException {
            long sizeBytes = input.readRawVarint64();
            DigestingField field = new DigestingField(input, sizeBytes);
            long revision = 0;
            String decodeError = null;
            try {
                revision = StateSnapshotReader.scan(field, element -> { }).getRevision();
            } catch (InvalidProtocolBufferException e) {
                decodeError = e.getMessage();
            }
            field.skipRest();
            return new StateField(sizeBytes, ByteString.copyFrom(field.digest.digest()), revision, decodeError);
        }
    }

    /** The bytes of the state field, digested as they are read from the enclosing backup. */
    private static final class DigestingField extends InputStream {
        private static final int PIECE_BYTES = 64 << 10;

        private final CodedInputStream input;
        private final MessageDigest digest = Sha256.newDigest();
        private long remaining;

        DigestingField(CodedInputStream input, long sizeBytes) throws InvalidProtocolBufferException {
            if (sizeBytes < 0) {
                throw new InvalidProtocolBufferException("the state has a negative length");
            }
            this.input = input;
            this.remaining = sizeBytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(Math.min(length, remaining), PIECE_BYTES);
            byte[] piece = input.readRawBytes(n);
            digest.update(piece);
            // A loop, not System.arraycopy: this package keeps away from System (no clock, see the architecture test).
            for (int i = 0; i < n; i++) {
                buffer[offset + i] = piece[i];
            }
            remaining -= n;
            input.resetSizeCounter();
            return n;
        }

        /** Reads (and digests) what the state's parse left unread. */
        void skipRest() throws IOException {
            byte[] buffer = new byte[PIECE_BYTES];
            while (remaining > 0) {
                read(buffer, 0, buffer.length);
            }
        }
    }
}
