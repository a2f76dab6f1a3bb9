package io.latchkey.transport;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Wire framing of snapshot bytes: chunks of {@code int32 length} + bytes, ended by a zero
 * length. The explicit end lets the receiver tell a complete snapshot from a connection that
 * died mid-transfer, which a bare end-of-stream could not.
 */
final class SnapshotChunks {
    private SnapshotChunks() {
    }

    /** Copies {@code data} to {@code out} in chunks of at most {@code chunkBytes}, then the end mark. */
    static long write(InputStream data, OutputStream out, int chunkBytes) throws IOException {
        DataOutputStream framed = new DataOutputStream(out);
        byte[] chunk = new byte[chunkBytes];
        long total = 0;
        for (int n; (n = data.readNBytes(chunk, 0, chunkBytes)) > 0; ) {
            framed.writeInt(n);
            framed.write(chunk, 0, n);
            total += n;
        }
        framed.writeInt(0);
        framed.flush();
        return total;
    }

    /** Reads the chunked bytes back; throws if a chunk or the total exceeds its limit or the end mark is missing. */
    static final class Reader extends InputStream {
        private final DataInputStream in;
        private final int chunkBytesMax;
        private final long totalBytesMax;
        private int chunkRemaining;
        private long total;
        private boolean ended;

        Reader(InputStream in, int chunkBytesMax, long totalBytesMax) {
            this.in = new DataInputStream(in);
            this.chunkBytesMax = chunkBytesMax;
            this.totalBytesMax = totalBytesMax;
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
    }
}
