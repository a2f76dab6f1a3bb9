package io.latchkey.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.Entry;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Schema version 3's data step: rewrites every {@code log_segment} row from the encoding of
 * version 2 (each entry as a 4-byte big-endian length and its protobuf encoding) into
 * {@link LogSegment}'s compact one, entry for entry, inside the migration's transaction. A
 * node upgraded with a log on disk thus reads it back unchanged, and an older build meets a
 * schema version it refuses instead of bytes it would misread.
 */
final class LengthPrefixedSegments {
    /** Rows converted per round trip; rows are up to 64 KiB. */
    private static final int ROWS_PER_BATCH = 16;

    private LengthPrefixedSegments() {
    }

    /** Converts all rows; the caller's connection has autocommit off and the node's search path. */
    static void convertAll(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
             PreparedStatement delete = connection.prepareStatement("DELETE FROM log_segment WHERE first_idx = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO log_segment(first_idx, last_idx, entries) VALUES (?, ?, ?)")) {
            // The cursor reads the rows as they were when it opened: the rows written back do not come round again.
            select.setFetchSize(ROWS_PER_BATCH);
            try (ResultSet rs = select.executeQuery("SELECT first_idx, last_idx, entries FROM log_segment ORDER BY first_idx")) {
                int pending = 0;
                while (rs.next()) {
                    long firstIndex = rs.getLong(1);
                    long lastIndex = rs.getLong(2);
                    delete.setLong(1, firstIndex);
                    delete.addBatch();
                    // Compact segments are never larger than these, but a cut is harmless should one be.
                    for (LogSegment segment : LogSegment.encode(decode(firstIndex, lastIndex, rs.getBytes(3)))) {
                        insert.setLong(1, segment.firstIndex());
                        insert.setLong(2, segment.lastIndex());
                        insert.setBytes(3, segment.encoded());
                        insert.addBatch();
                    }
                    if (++pending == ROWS_PER_BATCH) {
                        delete.executeBatch();
                        insert.executeBatch();
                        pending = 0;
                    }
                }
                delete.executeBatch();
                insert.executeBatch();
            }
        }
    }

    /** All entries of one version-2 row, checked against the indexes the row claims. */
    static List<Entry> decode(long firstIndex, long lastIndex, byte[] encoded) throws SQLException {
        List<Entry> entries = new ArrayList<>(Math.toIntExact(lastIndex - firstIndex + 1));
        try {
            ByteBuffer buffer = ByteBuffer.wrap(encoded);
            for (long index = firstIndex; index <= lastIndex; index++) {
                int length = buffer.getInt();
                Entry entry = Entry.parser().parseFrom(encoded, buffer.position(), length);
                if (entry.getIndex() != index) {
                    throw new IllegalArgumentException("entry at " + index + " says " + entry.getIndex());
                }
                entries.add(entry);
                buffer.position(buffer.position() + length);
            }
            if (buffer.hasRemaining()) {
                throw new IllegalArgumentException("bytes after the last entry");
            }
        } catch (BufferUnderflowException | IllegalArgumentException | InvalidProtocolBufferException e) {
            throw new SQLException("version-2 log segment [" + firstIndex + ", " + lastIndex + "] does not decode",
                    "XX001", e);
        }
        return entries;
    }
}
