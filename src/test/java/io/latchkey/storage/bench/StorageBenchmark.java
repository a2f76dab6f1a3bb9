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
 * PostgreSQL (a one-row INSERT per commit over JDBC). The disk's fsync rate drifts by several
 * times within a minute on a shared machine, so each workload is measured in short slices
 * alternating with slices of bare commits, and compared with the bare rate of those slices.
 * Not a test: run it as BENCHMARKS.md says. Optional argument: seconds per workload (default 5).
 */
public final class StorageBenchmark {
    private static final int PAYLOAD_SIZE_BYTES = 64;
    private static final Duration WARMUP = Duration.ofSeconds(1);
    private static final Duration SLICE = Duration.ofMillis(250);

    private StorageBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        Path dataDir = Path.of("target", "bench-postgres").toAbsolutePath();
        Files.createDirectories(dataDir);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir);
             Connection connection = DriverManager.getConnection(server.jdbcUrl())) {
            String schema = "bench_" + ProcessHandle.current().pid();
            Step bareCommit = bareCommit(connection, schema);
            System.out.printf("%-34s %10s %10s %14s %10s%n", "workload", "Readies/s", "entries/s", "bare commits/s",
                    "txn ratio");
            int run = 0;
            for (int entriesPerReady : new int[] {1, 16, 256}) {
                report("persist " + entriesPerReady + " x 64 B", server, schema + "_" + run++, entriesPerReady, 1,
                        bareCommit, measure);
            }
            // A loop that ran ahead: 8 Readies of 16 entries per transaction.
            report("persistAll 8 Readies x 16 x 64 B", server, schema + "_" + run, 16, 8, bareCommit, measure);
            System.out.println("(txn ratio: persist transactions per second / bare commits per second, same slices)");
        }
    }

    private static void report(String workload, EmbeddedPostgresServer server, String schema, int entriesPerReady,
                               int readiesPerCommit, Step bareCommit, Duration measure) throws Exception {
        StorageConfig config = StorageConfig.external(server.jdbcUrl(), schema, Map.of());
        ByteString payload = ByteString.copyFrom(new byte[PAYLOAD_SIZE_BYTES]);
        try (PostgresLogStore store = PostgresLogStore.open(config, new NodeIdentity(1, 1))) {
            long[] next = {1};
            Step persist = () -> {
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
            };
            double[] rates = interleaved(persist, bareCommit, measure);
            double readies = rates[0] * readiesPerCommit;
            System.out.printf("%-34s %10.0f %10.0f %14.0f %10.2f%n", workload, readies, readies * entriesPerReady,
                    rates[1], rates[0] / rates[1]);
        }
    }

    private static Step bareCommit(Connection connection, String schema) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET synchronous_commit TO on");
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            statement.execute("CREATE TABLE IF NOT EXISTS " + schema + ".commit_probe (id bigint PRIMARY KEY, payload bytea)");
        }
        PreparedStatement insert = connection.prepareStatement("INSERT INTO " + schema + ".commit_probe VALUES (?, ?)");
        byte[] payload = new byte[PAYLOAD_SIZE_BYTES];
        long[] id = {0};
        return () -> {
            insert.setLong(1, id[0]++);
            insert.setBytes(2, payload);
            insert.executeUpdate();
        };
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /**
     * Warms both steps up, then runs them in alternating slices until each has run for
     * {@code measure}; returns the steps per second of each.
     */
    private static double[] interleaved(Step workload, Step bare, Duration measure) throws Exception {
        runFor(WARMUP.toNanos(), workload);
        runFor(WARMUP.toNanos(), bare);
        long[] steps = new long[2];
        long[] nanos = new long[2];
        Step[] both = {workload, bare};
        for (long slices = measure.toNanos() / SLICE.toNanos(), s = 0; s < slices * 2; s++) {
            int which = (int) (s % 2);
            long start = System.nanoTime();
            steps[which] += runFor(SLICE.toNanos(), both[which]);
            nanos[which] += System.nanoTime() - start;
        }
        return new double[] {steps[0] / (nanos[0] / 1e9), steps[1] / (nanos[1] / 1e9)};
    }

    private static long runFor(long nanos, Step step) throws Exception {
        long end = System.nanoTime() + nanos;
        long steps = 0;
        while (System.nanoTime() < end) {
            step.run();
            steps++;
        }
        return steps;
    }
}
