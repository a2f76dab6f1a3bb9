package io.latchkey.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Schema version 5's data step: gives every existing {@code log_segment} row the CRC-32C of its
 * entries, inside the migration's transaction, so that a node upgraded with a log on disk has
 * every row checked from then on (no "legacy" rows read unchecked). A row is decoded first: a
 * checksum must not certify bytes that were already damaged.
 */
final class SegmentChecksums {
    /** Rows updated per round trip; rows are up to 64 KiB. */
    private static final int ROWS_PER_BATCH = 16;

    private SegmentChecksums() {
    }

    /** The caller's connection has autocommit off and the node's search path. */
    static void fillIn(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
             PreparedStatement update = connection.prepareStatement("UPDATE log_segment SET crc32c = ? WHERE first_idx = ?")) {
            select.setFetchSize(ROWS_PER_BATCH);
            try (ResultSet rs = select.executeQuery("SELECT first_idx, last_idx, entries FROM log_segment ORDER BY first_idx")) {
                int pending = 0;
                while (rs.next()) {
                    LogSegment segment = new LogSegment(rs.getLong(1), rs.getLong(2), rs.getBytes(3));
                    segment.decode(segment.firstIndex(), segment.lastIndex() + 1);
                    update.setInt(1, segment.crc32c());
                    update.setLong(2, segment.firstIndex());
                    update.addBatch();
                    if (++pending == ROWS_PER_BATCH) {
                        update.executeBatch();
                        pending = 0;
                    }
                }
                update.executeBatch();
            }
            select.execute("ALTER TABLE log_segment ALTER COLUMN crc32c SET NOT NULL");
        }
    }
}
