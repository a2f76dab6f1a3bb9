package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.node.SnapshotImage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, for checksums of backups and fingerprints of requests. */
public final class Sha256 {
    private Sha256() {
    }

    public static ByteString of(ByteString bytes) {
        MessageDigest digest = newDigest();
        digest.update(bytes.asReadOnlyByteBuffer());
        return ByteString.copyFrom(digest.digest());
    }

    /** SHA-256 of the bytes {@code image} writes (see {@link SnapshotImage#sha256}). */
    public static ByteString of(SnapshotImage image) throws IOException {
        return ByteString.copyFrom(image.sha256());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Passes bytes on and digests them on the way (the JDK's {@code DigestOutputStream}, which
     * this package's dependency rule leaves out).
     */
    static final class Digesting extends FilterOutputStream {
        private final MessageDigest digest = newDigest();

        Digesting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            digest.update((byte) b);
            out.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            digest.update(bytes, offset, length);
            out.write(bytes, offset, length);
        }

        /** The digest of what passed so far (once). */
        ByteString digest() {
            return ByteString.copyFrom(digest.digest());
        }
    }
}
