package io.latchkey.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One embedded PostgreSQL for all storage tests of a JVM (starting one costs a second or two),
 * with a fresh schema per storage so tests stay isolated. Its data directory is reused across
 * runs under target/, and schemas of earlier runs are dropped at start. zonky stops the
 * server when the JVM exits.
 */
final class TestPostgres {
    static final String SCHEMA_PREFIX = "t_";
    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static EmbeddedPostgresServer server;

    private TestPostgres() {
    }

    static synchronized EmbeddedPostgresServer server() {
        if (server == null) {
            try {
                Path dataDir = Path.of("target", "test-postgres").toAbsolutePath();
                Files.createDirectories(dataDir);
                server = EmbeddedPostgresServer.start(dataDir);
                dropSchemasOfEarlierRuns();
            } catch (Exception e) {
                throw new IllegalStateException("embedded PostgreSQL for the tests did not start", e);
            }
        }
        return server;
    }

    static String jdbcUrl() {
        return server().jdbcUrl();
    }

    /** A schema name no other storage of this run uses. */
    static String freshSchema() {
        server();
        return SCHEMA_PREFIX + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
    }

    static StorageConfig freshConfig() {
        return StorageConfig.external(jdbcUrl(), freshSchema(), Map.of());
    }

    /** A connection of the test's own, beside the store's. */
    static Connection connect(String schema) throws SQLException {
        Connection connection = DriverManager.getConnection(jdbcUrl());
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET search_path TO " + schema);
        }
        return connection;
    }

    static long count(String schema, String sql) throws SQLException {
        try (Connection connection = connect(schema);
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void dropSchemasOfEarlierRuns() throws SQLException {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl());
             Statement statement = connection.createStatement()) {
            List<String> stale = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")) {
                while (rs.next()) {
                    stale.add(rs.getString(1));
                }
            }
            for (String schema : stale) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }
}
