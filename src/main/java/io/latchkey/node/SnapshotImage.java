package io.latchkey.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A state captured at one applied index and serialized on demand. Capturing happens on the
 * loop and must not serialize; {@link #writeTo} may then run on another thread while the loop
 * applies later commands, and any number of times, writing the same {@link #sizeBytes} bytes
 * each time.
 */
public interface SnapshotImage {
    /** How many bytes {@link #writeTo} writes. */
    long sizeBytes();

    /** Writes the serialized state; does not close {@code out}. */
    void writeTo(OutputStream out) throws IOException;

    /** The SHA-256 of what {@link #writeTo} writes, written once more for it: memory stays at a buffer. */
    default byte[] sha256() throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        writeTo(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        return digest.digest();
    }

    /**
     * The bytes {@code image} takes as protobuf {@code bytes} field {@code field} of an
     * enclosing message: none when it is empty (proto3 leaves empty fields out), else its tag,
     * its length and itself.
     */
    static long fieldSizeBytes(int field, SnapshotImage image) {
        long size = image.sizeBytes();
        return size == 0 ? 0 : CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt64SizeNoTag(size) + size;
    }

    /**
     * Writes {@code image} as protobuf {@code bytes} field {@code field} (see
     * {@link #fieldSizeBytes}): tag and length through {@code coded}, which is flushed, then the
     * image itself straight to {@code out}, the stream under {@code coded}.
     */
    static void writeField(CodedOutputStream coded, OutputStream out, int field, SnapshotImage image) throws IOException {
        if (image.sizeBytes() == 0) {
            return;
        }
        coded.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        coded.writeUInt64NoTag(image.sizeBytes());
        coded.flush();
        image.writeTo(out);
    }

    /** An image of bytes serialized already. */
    static SnapshotImage of(ByteString bytes) {
        return new SnapshotImage() {
            @Override
            public long sizeBytes() {
                return bytes.size();
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                bytes.writeTo(out);
            }
        };
    }
}
