package io.latchkey.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Snapshot data written into {@code snapshot_chunk} rows as it is produced: bytes gather into
 * one chunk of {@link LogTables#SNAPSHOT_CHUNK_SIZE_BYTES}, which is inserted when full, so
 * memory stays at one chunk however large the snapshot. Each row carries the chunk's CRC-32C.
 */
final class SnapshotChunkOutput extends OutputStream {
    /** A database failure, carried through {@link OutputStream}'s IOException. */
    static final class DatabaseFailure extends IOException {
        DatabaseFailure(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }

    private final PreparedStatement insert;
    private final long key;
    private final byte[] chunk = new byte[LogTables.SNAPSHOT_CHUNK_SIZE_BYTES];
    private int filled;
    private int chunkCount;
    private long sizeBytes;

    /** Rows go under {@code snapshot_idx = key}; close the statement with {@link #close}. */
    SnapshotChunkOutput(Connection connection, long key) throws SQLException {
        this.insert = connection.prepareStatement(
                "INSERT INTO snapshot_chunk(snapshot_idx, seq, data, crc32c) VALUES (?, ?, ?, ?)");
        this.key = key;
    }

    @Override
    public void write(int b) throws IOException {
        chunk[filled++] = (byte) b;
        if (filled == chunk.length) {
            insertChunk();
        }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            int n = Math.min(length, chunk.length - filled);
            System.arraycopy(bytes, offset, chunk, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == chunk.length) {
                insertChunk();
            }
        }
    }

    /** Inserts the last, partial chunk; the data is then all in rows of this transaction. */
    void finish() throws IOException {
        if (filled > 0) {
            insertChunk();
        }
    }

    int chunkCount() {
        return chunkCount;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    private void insertChunk() throws IOException {
        byte[] data = filled == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, filled);
        try {
            insert.setLong(1, key);
            insert.setInt(2, chunkCount);
            insert.setBytes(3, data);
            insert.setInt(4, Checksums.crc32c(data));
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new DatabaseFailure(e);
        }
        sizeBytes += filled;
        chunkCount++;
        filled = 0;
    }

    @Override
    public void close() throws IOException {
        try {
            insert.close();
        } catch (SQLException e) {
            throw new DatabaseFailure(e);
        }
    }
}
