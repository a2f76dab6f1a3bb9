package io.latchkey.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Creates and upgrades a node's schema with the versioned scripts under
 * {@code db/migration}, recording each applied version in {@code schema_version}. All pending
 * versions are applied in one transaction, so a node never sees a half-migrated schema. A
 * version may add a data step in Java after its script.
 */
final class SchemaMigrator {
    /** In order. A released script is never edited: a change is a new version. */
    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "raft_log", "db/migration/V1__raft_log.sql", null),
            new Migration(2, "log_segments", "db/migration/V2__log_segments.sql", null),
            new Migration(3, "compact_segments", "db/migration/V3__compact_segments.sql",
                    LengthPrefixedSegments::convertAll),
            new Migration(4, "snapshot_checksums", "db/migration/V4__snapshot_checksums.sql", null),
            new Migration(5, "log_segment_checksums", "db/migration/V5__log_segment_checksums.sql",
                    SegmentChecksums::fillIn));

    /**
     * One version: its script, then its data step (null if none) for rewrites SQL cannot
     * express, such as decoding protobuf.
     */
    record Migration(int version, String description, String resource, DataStep dataStep) {
    }

    @FunctionalInterface
    interface DataStep {
        void run(Connection connection) throws SQLException;
    }

    private SchemaMigrator() {
    }

    /** Brings {@code schema} to the latest version; returns that version. */
    static int migrate(Connection connection, String schema) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            // Two nodes sharing a database may start together; the lock orders their migrations.
            try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                lock.setString(1, "latchkey.schema." + schema);
                lock.execute();
            }
            // The schema name was checked against a strict pattern by StorageConfig, so it can be inlined.
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            statement.execute("SET LOCAL search_path TO " + schema);
            statement.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                    + "version integer PRIMARY KEY, description text NOT NULL, "
                    + "installed_at timestamptz NOT NULL DEFAULT now())");
            int current;
            try (ResultSet rs = statement.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                rs.next();
                current = rs.getInt(1);
            }
            int latest = MIGRATIONS.get(MIGRATIONS.size() - 1).version();
            if (current > latest) {
                throw new SQLException("schema " + schema + " is at version " + current
                        + ", newer than this build knows (" + latest + "): run a newer Latchkey");
            }
            for (Migration migration : MIGRATIONS) {
                if (migration.version() <= current) {
                    continue;
                }
                statement.execute(readScript(migration.resource()));
                if (migration.dataStep() != null) {
                    migration.dataStep().run(connection);
                }
                try (PreparedStatement record = connection.prepareStatement(
                        "INSERT INTO schema_version(version, description) VALUES (?, ?)")) {
                    record.setInt(1, migration.version());
                    record.setString(2, migration.description());
                    record.executeUpdate();
                }
            }
            connection.commit();
            return latest;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static String readScript(String resource) {
        try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration script " + resource + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
