package io.latchkey.transport;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Wire framing of snapshot bytes: chunks of {@code int32 length} + bytes, ended by a zero
 * length, then the SHA-256 of the bytes. The explicit end lets the receiver tell a complete
 * snapshot from a connection that died mid-transfer, which a bare end-of-stream could not; the
 * digest lets it refuse bytes damaged on the way or in the sender's store before any of them is
 * installed. The reader checks the digest as it meets the end mark, so a consumer that reads to
 * the end and commits only then (the store's staging transaction) never keeps damaged bytes.
 *
 * <p>Senders before the digest was added end at the end mark; they do not send
 * {@link PeerHeaders#SNAPSHOT_CHECKSUM}, and their snapshots are read without the check.
 */
final class SnapshotChunks {
    /** The value of {@link PeerHeaders#SNAPSHOT_CHECKSUM} for a stream that ends with its SHA-256. */
    static final String SHA256_TRAILER = "sha-256";
    private static final int SHA256_BYTES = 32;

    private SnapshotChunks() {
    }

    /**
     * Copies {@code data} to {@code out} in chunks of at most {@code chunkBytes}, then the end
     * mark and the SHA-256 of the bytes.
     */
    static long write(InputStream data, OutputStream out, int chunkBytes) throws IOException {
        DataOutputStream framed = new DataOutputStream(out);
        MessageDigest digest = sha256();
        byte[] chunk = new byte[chunkBytes];
        long total = 0;
        for (int n; (n = data.readNBytes(chunk, 0, chunkBytes)) > 0; ) {
            framed.writeInt(n);
            framed.write(chunk, 0, n);
            digest.update(chunk, 0, n);
            total += n;
        }
        framed.writeInt(0);
        framed.write(digest.digest());
        framed.flush();
        return total;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Reads the chunked bytes back; throws if a chunk or the total exceeds its limit, the end
     * mark is missing, or (with {@code checksummed}) the bytes do not match the SHA-256 after it.
     */
    static final class Reader extends InputStream {
        private final DataInputStream in;
        private final int chunkBytesMax;
        private final long totalBytesMax;
        private final MessageDigest digest;
        private int chunkRemaining;
        private long total;
        private boolean ended;

        Reader(InputStream in, int chunkBytesMax, long totalBytesMax, boolean checksummed) {
            this.in = new DataInputStream(in);
            this.chunkBytesMax = chunkBytesMax;
            this.totalBytesMax = totalBytesMax;
            this.digest = checksummed ? sha256() : null;
        }

        /** True once the end mark was read: the snapshot arrived whole. */
        boolean ended() {
            return ended;
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
            if (chunkRemaining == 0 && !nextChunk()) {
                return -1;
            }
            int n = in.read(buffer, offset, Math.min(length, chunkRemaining));
            if (n < 0) {
                throw new EOFException("snapshot stream ended inside a chunk");
            }
            if (digest != null) {
                digest.update(buffer, offset, n);
            }
            chunkRemaining -= n;
            return n;
        }

        private boolean nextChunk() throws IOException {
            if (ended) {
                return false;
            }
            int length;
            try {
                length = in.readInt();
            } catch (EOFException e) {
                throw new EOFException("snapshot stream ended before its end mark");
            }
            if (length < 0 || length > chunkBytesMax) {
                throw new IOException("snapshot chunk of " + length + " bytes, limit " + chunkBytesMax);
            }
            if (length == 0) {
                checkDigest();
                ended = true;
                return false;
            }
            total += length;
            if (total > totalBytesMax) {
                throw new IOException("snapshot exceeds " + totalBytesMax + " bytes");
            }
            chunkRemaining = length;
            return true;
        }

        private void checkDigest() throws IOException {
            if (digest == null) {
                return;
            }
            byte[] sent = new byte[SHA256_BYTES];
            try {
                in.readFully(sent);
            } catch (EOFException e) {
                throw new EOFException("snapshot stream ended before its SHA-256");
            }
            if (!MessageDigest.isEqual(sent, digest.digest())) {
                throw new IOException("snapshot data does not match its SHA-256: damaged in transit or in the sender's store");
            }
        }
    }
}
