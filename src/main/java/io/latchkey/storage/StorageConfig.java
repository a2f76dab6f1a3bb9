package io.latchkey.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where and how a node keeps its Raft state (config keys {@code latchkey.storage.*} and
 * {@code latchkey.data-dir}; the service shell maps them onto this record).
 *
 * @param jdbcUrl              PostgreSQL to use; {@code null} starts an embedded PostgreSQL
 *                             whose data lives under {@code dataDir}
 * @param schema               the node's own schema, so several nodes can share one database
 * @param dataDir              the node's data directory (embedded PostgreSQL only)
 * @param connectionProperties passed to the JDBC driver as they are: user, password, and TLS
 *                             options such as {@code sslmode}, {@code sslrootcert}
 * @param windowEntriesMax     how many recent entries are answered from memory
 * @param windowSizeBytesMax   how many bytes of recent entries are answered from memory
 * @param writeRetryTimeMax    how long a write keeps retrying after losing its connection
 *                             before the store stops acknowledging
 * @param ioTimeout            how long connecting, logging in, one statement, or one wait for
 *                             the server's answer may take; a hung server (stopped, on a dead
 *                             network path) then fails the call instead of blocking it forever
 */
public record StorageConfig(String jdbcUrl,
                            String schema,
                            Path dataDir,
                            Map<String, String> connectionProperties,
                            int windowEntriesMax,
                            long windowSizeBytesMax,
                            Duration writeRetryTimeMax,
                            Duration ioTimeout) {
    public static final int DEFAULT_WINDOW_ENTRIES_MAX = 100_000;
    public static final long DEFAULT_WINDOW_SIZE_BYTES_MAX = 64L << 20;
    public static final Duration DEFAULT_WRITE_RETRY_TIME_MAX = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(15);

    /** PostgreSQL folds unquoted names to lower case; accepting only these keeps SQL unquoted and safe. */
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public StorageConfig {
        connectionProperties = Map.copyOf(connectionProperties == null ? Map.of() : connectionProperties);
        validate(jdbcUrl, schema, dataDir, windowEntriesMax, windowSizeBytesMax, writeRetryTimeMax);
        if (ioTimeout == null || ioTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("latchkey.storage.io-timeout-seconds must be at least 1");
        }
    }

    /** Embedded PostgreSQL under {@code dataDir}, default limits. */
    public static StorageConfig embedded(Path dataDir, String schema) {
        return new StorageConfig(null, schema, dataDir, Map.of(), DEFAULT_WINDOW_ENTRIES_MAX,
                DEFAULT_WINDOW_SIZE_BYTES_MAX, DEFAULT_WRITE_RETRY_TIME_MAX, DEFAULT_IO_TIMEOUT);
    }

    /** An existing PostgreSQL, default limits. */
    public static StorageConfig external(String jdbcUrl, String schema, Map<String, String> connectionProperties) {
        return new StorageConfig(jdbcUrl, schema, null, connectionProperties, DEFAULT_WINDOW_ENTRIES_MAX,
                DEFAULT_WINDOW_SIZE_BYTES_MAX, DEFAULT_WRITE_RETRY_TIME_MAX, DEFAULT_IO_TIMEOUT);
    }

    public boolean embeddedDatabase() {
        return jdbcUrl == null;
    }

    public StorageConfig withWindow(int entriesMax, long sizeBytesMax) {
        return new StorageConfig(jdbcUrl, schema, dataDir, connectionProperties, entriesMax, sizeBytesMax,
                writeRetryTimeMax, ioTimeout);
    }

    public StorageConfig withWriteRetryTimeMax(Duration retryTimeMax) {
        return new StorageConfig(jdbcUrl, schema, dataDir, connectionProperties, windowEntriesMax,
                windowSizeBytesMax, retryTimeMax, ioTimeout);
    }

    public StorageConfig withIoTimeout(Duration timeout) {
        return new StorageConfig(jdbcUrl, schema, dataDir, connectionProperties, windowEntriesMax,
                windowSizeBytesMax, writeRetryTimeMax, timeout);
    }

    private static void validate(String jdbcUrl, String schema, Path dataDir, int windowEntriesMax,
                                 long windowSizeBytesMax, Duration writeRetryTimeMax) {
        Objects.requireNonNull(schema, "latchkey.storage.schema must be set");
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("latchkey.storage.schema must match " + SCHEMA_NAME
                    + " (lower-case letters, digits, underscores), got '" + schema + "'");
        }
        if (jdbcUrl == null && dataDir == null) {
            throw new IllegalArgumentException(
                    "latchkey.data-dir must be set when latchkey.storage.jdbc-url is not (embedded PostgreSQL)");
        }
        if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("latchkey.storage.jdbc-url must start with jdbc:postgresql:");
        }
        if (windowEntriesMax < 0 || windowSizeBytesMax < 0) {
            throw new IllegalArgumentException("the in-memory log window limits must not be negative");
        }
        if (writeRetryTimeMax == null || writeRetryTimeMax.isNegative()) {
            throw new IllegalArgumentException("the write retry time must be zero or more");
        }
    }
}
