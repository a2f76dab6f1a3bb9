package io.latchkey.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the storage tables (see {@code db/migration/}). Connections come
 * with the node's schema as their search path. Each method is one unit of work; the caller
 * decides about transactions and retries.
 */
final class LogTables {
    /** Snapshot data is stored in rows of this size: memory per row read or written stays bounded. */
    static final int SNAPSHOT_CHUNK_SIZE_BYTES = 256 << 10;

    /**
     * New segments and the hard state in ONE statement, so that a Ready that appends is a
     * single round trip and, in autocommit mode, a single transaction with a single WAL flush.
     * The upsert makes a retry after an unknown commit outcome harmless: a row it meets is one
     * the lost commit wrote, with the same content. Each row's CRC-32C goes with it, so a row
     * never exists without the checksum of its own bytes.
     */
    private static final String WRITE_SEGMENTS_CTE =
            "w AS (INSERT INTO log_segment(first_idx, last_idx, entries, crc32c) "
                    + "SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bytea[], ?::integer[]) "
                    + "ON CONFLICT (first_idx) DO UPDATE SET last_idx = EXCLUDED.last_idx, entries = EXCLUDED.entries, "
                    + "crc32c = EXCLUDED.crc32c)";
    /**
     * The usual Ready is one segment: plain parameters cost the server a fifth less CPU than
     * building and unnesting three arrays (BENCHMARKS.md, Storage).
     */
    private static final String WRITE_SEGMENT_CTE =
            "w AS (INSERT INTO log_segment(first_idx, last_idx, entries, crc32c) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (first_idx) DO UPDATE SET last_idx = EXCLUDED.last_idx, entries = EXCLUDED.entries, "
                    + "crc32c = EXCLUDED.crc32c)";
    private static final String WRITE_HARD_STATE_CTE =
            "h AS (INSERT INTO hard_state(term, vote, commit_index) VALUES (?, ?, ?) "
                    + "ON CONFLICT (singleton) DO UPDATE SET term = EXCLUDED.term, vote = EXCLUDED.vote, "
                    + "commit_index = EXCLUDED.commit_index)";
    private static final String WRITE_SEGMENTS_AND_HARD_STATE =
            "WITH " + WRITE_SEGMENTS_CTE + ", " + WRITE_HARD_STATE_CTE + " SELECT 1";
    private static final String WRITE_SEGMENTS = "WITH " + WRITE_SEGMENTS_CTE + " SELECT 1";
    private static final String WRITE_SEGMENT_AND_HARD_STATE =
            "WITH " + WRITE_SEGMENT_CTE + ", " + WRITE_HARD_STATE_CTE + " SELECT 1";
    private static final String WRITE_SEGMENT = "WITH " + WRITE_SEGMENT_CTE + " SELECT 1";
    private static final String WRITE_HARD_STATE = "WITH " + WRITE_HARD_STATE_CTE + " SELECT 1";

    /** The segment holding an index, if any: the last one starting at or before it. */
    private static final String READ_SEGMENT_AT =
            "SELECT first_idx, last_idx, entries, crc32c FROM log_segment WHERE first_idx <= ? ORDER BY first_idx DESC LIMIT 1";
    /** The segments holding {@code [?, ?)}: from the one holding the first index on. */
    private static final String READ_SEGMENTS_FROM =
            "SELECT first_idx, last_idx, entries, crc32c FROM log_segment "
                    + "WHERE first_idx >= coalesce((SELECT max(first_idx) FROM log_segment WHERE first_idx <= ?), ?) "
                    + "AND first_idx < ? ORDER BY first_idx";
    /** Rows are up to {@link LogSegment#SIZE_BYTES_MAX}: a page of them stays around a megabyte. */
    private static final int READ_FETCH_SEGMENTS = 16;

    private static final String SET_ORIGIN =
            "INSERT INTO log_origin(idx, term) VALUES (?, ?) "
                    + "ON CONFLICT (singleton) DO UPDATE SET idx = EXCLUDED.idx, term = EXCLUDED.term";

    private LogTables() {
    }

    /** Durable state as read back at start (or after a lost connection). */
    record Recovered(HardState hardState, long originIndex, long originTerm, long lastIndex,
                     StoredSnapshot snapshot, List<Entry> tail) {
    }

    /** The latest snapshot: its metadata and where its data is. */
    record StoredSnapshot(SnapshotMetadata metadata, long dataSizeBytes, int chunkCount) {
        static final StoredSnapshot NONE = new StoredSnapshot(
                SnapshotMetadata.newBuilder().setConfState(ConfState.getDefaultInstance()).build(), 0, 0);

        long index() {
            return metadata.getIndex();
        }
    }

    /**
     * Writes {@code plan}'s entries and hard state: one statement when the plan appends, more
     * when it overwrites (then the caller must run it in a transaction).
     */
    static void writeEntriesAndHardState(Connection connection, WritePlan plan) throws SQLException {
        List<LogSegment> segments = LogSegment.encode(plan.entries);
        if (plan.overwrites) {
            LogSegment kept = discardFrom(connection, plan.entries.get(0).getIndex());
            if (kept != null) {
                segments = new ArrayList<>(segments);
                segments.add(0, kept);
            }
        }
        writeSegmentsAndHardState(connection, segments, plan.hardState);
    }

    /**
     * Deletes the entries from {@code index} on. A segment that also holds entries before it
     * is deleted whole: its part before {@code index} is returned, to be written back.
     */
    private static LogSegment discardFrom(Connection connection, long index) throws SQLException {
        LogSegment straddling = readSegmentAt(connection, index - 1);
        LogSegment kept = straddling != null && straddling.contains(index)
                ? straddling.prefixThrough(index - 1) : null;
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM log_segment WHERE first_idx >= ?")) {
            delete.setLong(1, kept != null ? kept.firstIndex() : index);
            delete.executeUpdate();
        }
        return kept;
    }

    private static void writeSegmentsAndHardState(Connection connection, List<LogSegment> segments,
                                                  HardState hardState) throws SQLException {
        boolean withSegments = !segments.isEmpty();
        boolean withHardState = hardState != null;
        if (!withSegments && !withHardState) {
            return;
        }
        boolean oneSegment = segments.size() == 1;
        String sql = !withSegments ? WRITE_HARD_STATE
                : oneSegment ? (withHardState ? WRITE_SEGMENT_AND_HARD_STATE : WRITE_SEGMENT)
                : (withHardState ? WRITE_SEGMENTS_AND_HARD_STATE : WRITE_SEGMENTS);
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int p = 1;
            if (oneSegment) {
                statement.setLong(p++, segments.get(0).firstIndex());
                statement.setLong(p++, segments.get(0).lastIndex());
                statement.setBytes(p++, segments.get(0).encoded());
                statement.setInt(p++, segments.get(0).crc32c());
            } else if (withSegments) {
                int n = segments.size();
                Long[] firstIndexes = new Long[n];
                Long[] lastIndexes = new Long[n];
                byte[][] encoded = new byte[n][];
                Integer[] checksums = new Integer[n];
                for (int i = 0; i < n; i++) {
                    firstIndexes[i] = segments.get(i).firstIndex();
                    lastIndexes[i] = segments.get(i).lastIndex();
                    encoded[i] = segments.get(i).encoded();
                    checksums[i] = segments.get(i).crc32c();
                }
                statement.setArray(p++, connection.createArrayOf("int8", firstIndexes));
                statement.setArray(p++, connection.createArrayOf("int8", lastIndexes));
                statement.setArray(p++, connection.createArrayOf("bytea", encoded));
                statement.setArray(p++, connection.createArrayOf("int4", checksums));
            }
            if (withHardState) {
                statement.setLong(p++, hardState.getTerm());
                statement.setLong(p++, hardState.getVote());
                statement.setLong(p, hardState.getCommit());
            }
            statement.execute();
        }
    }

    /** Replaces the whole log by the snapshot's origin (MemoryStorage.ApplySnapshot). */
    static void replaceLogWithOrigin(Connection connection, long index, long term) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM log_segment");
        }
        setOrigin(connection, index, term);
    }

    /**
     * Discards the segments wholly at or below {@code index}, keeping its term as the origin.
     * The segment holding {@code index + 1} stays whole; reads skip its entries at or below the origin.
     */
    static void compact(Connection connection, long index, long term) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "WITH d AS (DELETE FROM log_segment WHERE first_idx <= ? AND last_idx <= ?) " + SET_ORIGIN)) {
            statement.setLong(1, index);
            statement.setLong(2, index);
            statement.setLong(3, index);
            statement.setLong(4, term);
            statement.executeUpdate();
        }
    }

    private static void setOrigin(Connection connection, long index, long term) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SET_ORIGIN)) {
            statement.setLong(1, index);
            statement.setLong(2, term);
            statement.executeUpdate();
        }
    }

    /**
     * Replaces the stored snapshot: its data is copied from {@code data} chunk by chunk, so
     * at most one chunk is in memory however large the snapshot is. Staged snapshots stay.
     */
    static StoredSnapshot replaceSnapshot(Connection connection, SnapshotMetadata metadata, InputStream data)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM snapshot_chunk WHERE snapshot_idx >= 0");
        }
        ChunksWritten written = writeChunks(connection, metadata.getIndex(), data::transferTo);
        StoredSnapshot stored = new StoredSnapshot(metadata, written.sizeBytes(), written.chunkCount());
        writeSnapshotRow(connection, stored);
        return stored;
    }

    /**
     * Stores snapshot data received from a leader under its staging key, to be installed by
     * {@link #installStagedSnapshot} (see {@link StagedSnapshot}).
     */
    static StagedSnapshot stageSnapshot(Connection connection, long stagingId, DataWriter data) throws SQLException {
        ChunksWritten written = writeChunks(connection, -stagingId, data);
        return new StagedSnapshot(stagingId, written.sizeBytes(), written.chunkCount());
    }

    /**
     * Makes a staged snapshot the stored one: its chunks move to the snapshot's index (their
     * data is not rewritten) and the previous snapshot's chunks go. For a snapshot
     * {@code received} from a leader, every staging older than it goes too: older received
     * stagings were delivered to raft before it (the transport's order), so raft installed or
     * refused each of them already. (The state machine's own snapshots are staged on another
     * thread and leave the received ones alone.)
     *
     * @throws SQLException if the staged chunks are not all there
     */
    static StoredSnapshot installStagedSnapshot(Connection connection, SnapshotMetadata metadata, StagedSnapshot staged,
                                                boolean received) throws SQLException {
        StoredSnapshot stored = new StoredSnapshot(metadata, staged.sizeBytes(), staged.chunkCount());
        try (PreparedStatement installed = connection.prepareStatement(
                "SELECT 1 FROM snapshot WHERE idx = ? AND NOT EXISTS (SELECT 1 FROM snapshot_chunk WHERE snapshot_idx = ?)")) {
            installed.setLong(1, metadata.getIndex());
            installed.setLong(2, staged.chunkKey());
            try (ResultSet rs = installed.executeQuery()) {
                if (rs.next()) {
                    // A retry of a write whose commit went through but whose answer was lost.
                    return stored;
                }
            }
        }
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM snapshot_chunk WHERE snapshot_idx >= 0 OR (? AND snapshot_idx < 0 AND snapshot_idx > ?)")) {
            delete.setBoolean(1, received);
            delete.setLong(2, staged.chunkKey());
            delete.executeUpdate();
        }
        try (PreparedStatement move = connection.prepareStatement(
                "UPDATE snapshot_chunk SET snapshot_idx = ? WHERE snapshot_idx = ?")) {
            move.setLong(1, metadata.getIndex());
            move.setLong(2, staged.chunkKey());
            int moved = move.executeUpdate();
            if (moved != staged.chunkCount()) {
                throw new SQLException("staged snapshot " + staged.id() + " has " + moved + " of its "
                        + staged.chunkCount() + " chunks");
            }
        }
        writeSnapshotRow(connection, stored);
        return stored;
    }

    /** Drops one staged snapshot that will not be installed. */
    static void dropStagedSnapshot(Connection connection, StagedSnapshot staged) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM snapshot_chunk WHERE snapshot_idx = ?")) {
            delete.setLong(1, staged.chunkKey());
            delete.executeUpdate();
        }
    }

    /** Drops every staged snapshot: at start, none of them can still be delivered to raft. */
    static void dropStagedSnapshots(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM snapshot_chunk WHERE snapshot_idx < 0");
        }
    }

    private record ChunksWritten(long sizeBytes, int chunkCount) {
    }

    /** Produces snapshot data by writing it out. */
    @FunctionalInterface
    interface DataWriter {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Inserts what {@code data} writes as chunks under {@code key}.
     *
     * @throws UncheckedIOException if producing the data failed
     */
    private static ChunksWritten writeChunks(Connection connection, long key, DataWriter data) throws SQLException {
        try (SnapshotChunkOutput out = new SnapshotChunkOutput(connection, key)) {
            data.writeTo(out);
            out.finish();
            return new ChunksWritten(out.sizeBytes(), out.chunkCount());
        } catch (SnapshotChunkOutput.DatabaseFailure e) {
            throw e.getCause();
        } catch (IOException e) {
            throw new UncheckedIOException("producing the snapshot data to store failed", e);
        }
    }

    private static void writeSnapshotRow(Connection connection, StoredSnapshot snapshot) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO snapshot(idx, term, conf_state, data_size_bytes, chunk_count) VALUES (?, ?, ?, ?, ?) "
                        + "ON CONFLICT (singleton) DO UPDATE SET idx = EXCLUDED.idx, term = EXCLUDED.term, "
                        + "conf_state = EXCLUDED.conf_state, data_size_bytes = EXCLUDED.data_size_bytes, "
                        + "chunk_count = EXCLUDED.chunk_count")) {
            upsert.setLong(1, snapshot.index());
            upsert.setLong(2, snapshot.metadata().getTerm());
            upsert.setBytes(3, snapshot.metadata().getConfState().toByteArray());
            upsert.setLong(4, snapshot.dataSizeBytes());
            upsert.setInt(5, snapshot.chunkCount());
            upsert.executeUpdate();
        }
    }

    /**
     * One chunk of the snapshot at {@code snapshotIndex}, or null if that snapshot was replaced.
     *
     * @throws StorageCorruptionException if the chunk fails its checksum
     */
    static byte[] readSnapshotChunk(Connection connection, long snapshotIndex, int seq) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT data, crc32c FROM snapshot_chunk WHERE snapshot_idx = ? AND seq = ?")) {
            statement.setLong(1, snapshotIndex);
            statement.setInt(2, seq);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                byte[] data = rs.getBytes(1);
                int stored = rs.getInt(2);
                // A chunk written before schema version 4 has no checksum to check.
                if (!rs.wasNull() && stored != Checksums.crc32c(data)) {
                    throw new StorageCorruptionException("chunk " + seq + " of the snapshot at index " + snapshotIndex
                            + " fails its CRC-32C");
                }
                return data;
            }
        }
    }

    /** The whole data of a small snapshot, for handing it to the core inline. */
    static ByteString readSnapshotData(Connection connection, StoredSnapshot snapshot) throws SQLException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.toIntExact(snapshot.dataSizeBytes()));
        for (int seq = 0; seq < snapshot.chunkCount(); seq++) {
            byte[] chunk = readSnapshotChunk(connection, snapshot.index(), seq);
            if (chunk == null) {
                throw new SQLException("snapshot " + snapshot.index() + " lacks chunk " + seq);
            }
            out.writeBytes(chunk);
        }
        return ByteString.copyFrom(out.toByteArray());
    }

    /** The term of one entry, or -1 if it is not stored. */
    static long readTerm(Connection connection, long index) throws SQLException {
        LogSegment segment = readSegmentAt(connection, index);
        return segment != null && segment.contains(index) ? segment.decode(index, index + 1).get(0).getTerm() : -1;
    }

    private static LogSegment readSegmentAt(Connection connection, long index) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(READ_SEGMENT_AT)) {
            statement.setLong(1, index);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? storedSegment(rs) : null;
            }
        }
    }

    /**
     * The segment of the current row of a {@code first_idx, last_idx, entries, crc32c} query,
     * checked against its checksum before any of it is decoded.
     *
     * @throws StorageCorruptionException if its bytes are not the ones written
     */
    private static LogSegment storedSegment(ResultSet rs) throws SQLException {
        LogSegment segment = new LogSegment(rs.getLong(1), rs.getLong(2), rs.getBytes(3));
        int stored = rs.getInt(4);
        int actual = segment.crc32c();
        if (actual != stored) {
            throw new StorageCorruptionException(String.format(
                    "log_segment row with entries [%d, %d] fails its CRC-32C (stored %08x, computed %08x)",
                    segment.firstIndex(), segment.lastIndex(), stored, actual));
        }
        return segment;
    }

    /**
     * Entries from {@code lo} (inclusive) to {@code hi} (exclusive) while {@code budget}
     * admits them, stopping at the first missing index. Segments are fetched in pages, so a
     * small budget reads little.
     */
    static List<Entry> readEntries(Connection connection, long lo, long hi, SizeBudget budget) throws SQLException {
        List<Entry> result = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(READ_SEGMENTS_FROM)) {
            statement.setFetchSize(READ_FETCH_SEGMENTS);
            statement.setLong(1, lo);
            statement.setLong(2, lo);
            statement.setLong(3, hi);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    LogSegment segment = storedSegment(rs);
                    for (Entry entry : segment.decode(lo + result.size(), hi)) {
                        if (entry.getIndex() != lo + result.size() || !budget.admit(entry)) {
                            return result;
                        }
                        result.add(entry);
                    }
                    if (lo + result.size() <= segment.lastIndex()) {
                        return result;
                    }
                }
            }
        }
        return result;
    }

    /** Stores {@code identity} on first use; returns what is stored. */
    /** The identity stored by the node's first start, if any. */
    static Optional<NodeIdentity> storedIdentity(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT node_id, cluster_id FROM node_identity")) {
            return rs.next() ? Optional.of(new NodeIdentity(rs.getLong(1), rs.getLong(2))) : Optional.empty();
        }
    }

    static NodeIdentity claimIdentity(Connection connection, NodeIdentity identity) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO node_identity(node_id, cluster_id) VALUES (?, ?) ON CONFLICT (singleton) DO NOTHING")) {
            insert.setLong(1, identity.nodeId());
            insert.setLong(2, identity.clusterId());
            insert.executeUpdate();
        }
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT node_id, cluster_id FROM node_identity")) {
            rs.next();
            return new NodeIdentity(rs.getLong(1), rs.getLong(2));
        }
    }

    /**
     * Reads the durable state in one consistent snapshot of the database: hard state, origin,
     * snapshot metadata, and the last {@code tailEntriesMax} entries.
     */
    static Recovered load(Connection connection, int tailEntriesMax) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement statement = connection.createStatement()) {
            HardState hardState = HardState.getDefaultInstance();
            try (ResultSet rs = statement.executeQuery("SELECT term, vote, commit_index FROM hard_state")) {
                if (rs.next()) {
                    hardState = HardState.newBuilder().setTerm(rs.getLong(1)).setVote(rs.getLong(2))
                            .setCommit(rs.getLong(3)).build();
                }
            }
            long originIndex = 0;
            long originTerm = 0;
            try (ResultSet rs = statement.executeQuery("SELECT idx, term FROM log_origin")) {
                if (rs.next()) {
                    originIndex = rs.getLong(1);
                    originTerm = rs.getLong(2);
                }
            }
            StoredSnapshot snapshot = StoredSnapshot.NONE;
            try (ResultSet rs = statement.executeQuery(
                    "SELECT idx, term, conf_state, data_size_bytes, chunk_count FROM snapshot")) {
                if (rs.next()) {
                    SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(rs.getLong(1))
                            .setTerm(rs.getLong(2)).setConfState(ConfState.parseFrom(rs.getBytes(3))).build();
                    snapshot = new StoredSnapshot(metadata, rs.getLong(4), rs.getInt(5));
                }
            }
            long lastIndex = originIndex;
            try (ResultSet rs = statement.executeQuery(
                    "SELECT count(*), min(first_idx), max(last_idx), sum(last_idx - first_idx + 1) FROM log_segment")) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    long min = rs.getLong(2);
                    long max = rs.getLong(3);
                    long count = rs.getLong(4);
                    // Every write keeps the segments disjoint and gapless, reaching past the origin; else: damage.
                    if (min > originIndex + 1 || max <= originIndex || max - min + 1 != count) {
                        throw new SQLException(String.format("log is not contiguous after origin %d: "
                                + "%d entries in [%d, %d]", originIndex, count, min, max), "XX001");
                    }
                    lastIndex = max;
                }
            }
            List<Entry> tail = readEntries(connection, Math.max(originIndex + 1, lastIndex + 1 - tailEntriesMax),
                    lastIndex + 1, new SizeBudget(Long.MAX_VALUE));
            connection.commit();
            return new Recovered(hardState, originIndex, originTerm, lastIndex, snapshot, tail);
        } catch (InvalidProtocolBufferException e) {
            connection.rollback();
            throw new SQLException("stored conf state does not parse", "XX001", e);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
        } finally {
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            connection.setAutoCommit(autoCommit);
        }
    }

    static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException suppressed) {
            // The connection is gone: the server rolls the transaction back by itself.
        }
    }
}
