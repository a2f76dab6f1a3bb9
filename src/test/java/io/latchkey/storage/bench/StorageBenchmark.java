package io.latchkey.storage.bench;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.storage.EmbeddedPostgresServer;
import io.latchkey.storage.NodeIdentity;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.storage.StorageConfig;
import io.latchkey.storage.WriteBatch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Readies/s and entries/s of {@link PostgresLogStore#persist} for 1, 16 and 256 entries of
 * 64 B per Ready, and of group commit, beside the bare durable commit rate of the same
 * PostgreSQL (a one-row INSERT per commit over JDBC) measured in the same run. Not a test:
 * run it with
 * <pre>
 * ./mvnw -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *   -Dexec.mainClass=io.latchkey.storage.bench.StorageBenchmark -Dexec.classpathScope=test
 * </pre>
 * Optional argument: seconds per measurement (default 5).
 */
public final class StorageBenchmark {
    private static final int PAYLOAD_SIZE_BYTES = 64;
    private static final Duration WARMUP = Duration.ofSeconds(1);

    private StorageBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        Path dataDir = Path.of("target", "bench-postgres").toAbsolutePath();
        Files.createDirectories(dataDir);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir)) {
            String schema = "bench_" + ProcessHandle.current().pid();
            double commitsPerSecond = bareCommitRate(server.jdbcUrl(), schema, measure);
            System.out.printf("%-34s %12s %12s %10s%n", "workload", "Readies/s", "entries/s", "vs commit");
            System.out.printf("%-34s %12.0f %12.0f %10s%n", "bare JDBC commit (1 row)", commitsPerSecond,
                    commitsPerSecond, "1.00");
            int run = 0;
            for (int entriesPerReady : new int[] {1, 16, 256}) {
                double readies = persistRate(server, schema + "_" + run++, entriesPerReady, 1, measure);
                System.out.printf("%-34s %12.0f %12.0f %10.2f%n", "persist " + entriesPerReady + " x 64 B",
                        readies, readies * entriesPerReady, readies / commitsPerSecond);
            }
            // A loop that ran ahead: 8 Readies of 16 entries per transaction.
            double grouped = persistRate(server, schema + "_" + run, 16, 8, measure);
            System.out.printf("%-34s %12.0f %12.0f %10.2f%n", "persistAll 8 Readies x 16 x 64 B",
                    grouped, grouped * 16, grouped / 8 / commitsPerSecond);
            System.out.println("(vs commit: transactions per second relative to the bare commit rate)");
        }
    }

    private static double bareCommitRate(String jdbcUrl, String schema, Duration measure) throws Exception {
        try (Connection connection = DriverManager.getConnection(jdbcUrl);
             Statement statement = connection.createStatement()) {
            statement.execute("SET synchronous_commit TO on");
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            statement.execute("CREATE TABLE IF NOT EXISTS " + schema + ".commit_probe (id bigint PRIMARY KEY, payload bytea)");
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO " + schema + ".commit_probe VALUES (?, ?)")) {
                byte[] payload = new byte[PAYLOAD_SIZE_BYTES];
                long[] id = {0};
                return rate(measure, () -> {
                    insert.setLong(1, id[0]++);
                    insert.setBytes(2, payload);
                    insert.executeUpdate();
                });
            }
        }
    }

    private static double persistRate(EmbeddedPostgresServer server, String schema, int entriesPerReady,
                                      int readiesPerCommit, Duration measure) throws Exception {
        StorageConfig config = StorageConfig.external(server.jdbcUrl(), schema, Map.of());
        ByteString payload = ByteString.copyFrom(new byte[PAYLOAD_SIZE_BYTES]);
        try (PostgresLogStore store = PostgresLogStore.open(config, new NodeIdentity(1, 1))) {
            long[] next = {1};
            double transactions = rate(measure, () -> {
                List<WriteBatch> batches = new ArrayList<>(readiesPerCommit);
                for (int r = 0; r < readiesPerCommit; r++) {
                    List<Entry> entries = new ArrayList<>(entriesPerReady);
                    for (int i = 0; i < entriesPerReady; i++) {
                        entries.add(Entry.newBuilder().setIndex(next[0]).setTerm(1).setData(payload).build());
                        next[0]++;
                    }
                    HardState hs = HardState.newBuilder().setTerm(1).setVote(1).setCommit(next[0] - 1).build();
                    batches.add(WriteBatch.of(hs, entries));
                }
                store.persistAll(batches);
            });
            return transactions * readiesPerCommit;
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step} for a warm-up, then for {@code measure}; returns steps per second. */
    private static double rate(Duration measure, Step step) throws Exception {
        long warmupEnd = System.nanoTime() + WARMUP.toNanos();
        while (System.nanoTime() < warmupEnd) {
            step.run();
        }
        long start = System.nanoTime();
        long end = start + measure.toNanos();
        long steps = 0;
        while (System.nanoTime() < end) {
            step.run();
            steps++;
        }
        return steps / ((System.nanoTime() - start) / 1e9);
    }
}
