package io.latchkey.storage;

import java.io.IOException;
import java.io.InputStream;

/**
 * The data of one stored snapshot, fetched one chunk at a time as the reader consumes it:
 * memory stays at one chunk however large the snapshot.
 */
final class SnapshotDataStream extends InputStream {
    @FunctionalInterface
    interface ChunkSource {
        /** The chunk, or null if the snapshot was replaced. */
        byte[] chunk(int seq);
    }

    private final long snapshotIndex;
    private final int chunkCount;
    private final ChunkSource source;
    private byte[] chunk = new byte[0];
    private int position;
    private int nextSeq;

    SnapshotDataStream(long snapshotIndex, int chunkCount, ChunkSource source) {
        this.snapshotIndex = snapshotIndex;
        this.chunkCount = chunkCount;
        this.source = source;
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return chunk[position++] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int count = Math.min(length, chunk.length - position);
        System.arraycopy(chunk, position, buffer, offset, count);
        position += count;
        return count;
    }

    private boolean fill() throws IOException {
        while (position == chunk.length) {
            if (nextSeq == chunkCount) {
                return false;
            }
            byte[] next;
            try {
                next = source.chunk(nextSeq);
            } catch (RuntimeException e) {
                throw new IOException("reading snapshot " + snapshotIndex + " failed", e);
            }
            if (next == null) {
                throw new IOException("snapshot " + snapshotIndex + " was replaced while it was being read");
            }
            chunk = next;
            position = 0;
            nextSeq++;
        }
        return true;
    }
}
