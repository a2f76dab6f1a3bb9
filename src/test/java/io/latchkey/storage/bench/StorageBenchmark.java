package io.latchkey.storage.bench;

import io.latchkey.storage.EmbeddedPostgresServer;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Readies/s and entries/s of {@code PostgresLogStore.persist} for 1, 16 and 256 entries of
 * 64 B per Ready, and of group commit, beside the bare durable commit rate of the same
 * PostgreSQL (a one-row INSERT per commit over JDBC). The disk's fsync rate drifts by several
 * times within a minute on a shared machine, so each workload is measured in short slices
 * alternating with slices of bare commits, and compared with the bare rate of those slices.
 * Beside the rates it reports what the server spent per transaction, which other load on the
 * machine changes far less: WAL bytes, and CPU time of the session's backend.
 * <p>
 * Not a test: run it as BENCHMARKS.md says. Arguments: seconds per workload (default 5), and
 * optionally the {@code target/classes} directory of another build of the store (e.g. of the
 * main branch), whose store then runs in the same slices, loaded by a class loader of its own.
 */
public final class StorageBenchmark {
    private static final Duration WARMUP = Duration.ofSeconds(1);
    private static final Duration SLICE = Duration.ofMillis(250);

    private StorageBenchmark() {
    }

    /** One step of a workload: a persist of one build, or a bare commit. */
    private record Contender(String name, Callable<?> step, ServerCost cost) {
    }

    public static void main(String[] args) throws Exception {
        Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        Path otherBuild = args.length > 1 ? Path.of(args[1]).toAbsolutePath() : null;
        Path dataDir = Path.of("target", "bench-postgres").toAbsolutePath();
        Files.createDirectories(dataDir);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir);
             Connection connection = DriverManager.getConnection(server.jdbcUrl());
             Connection probe = DriverManager.getConnection(server.jdbcUrl())) {
            String schema = "bench_" + ProcessHandle.current().pid();
            Contender bare = new Contender("bare 1-row commit", bareCommit(connection, schema),
                    new ServerCost(probe, backendPid(connection)));
            System.out.printf("%-34s %-6s %10s %10s %14s %10s %10s %14s%n", "workload", "build", "Readies/s",
                    "entries/s", "bare commits/s", "txn ratio", "WAL B/txn", "backend µs/txn");
            int run = 0;
            int[][] workloads = {{1, 1}, {16, 1}, {256, 1}, {16, 8}};
            for (int[] workload : workloads) {
                int entriesPerReady = workload[0];
                int readiesPerCommit = workload[1];
                String name = readiesPerCommit == 1 ? "persist " + entriesPerReady + " x 64 B"
                        // A loop that ran ahead: several Readies per transaction.
                        : "persistAll " + readiesPerCommit + " Readies x " + entriesPerReady + " x 64 B";
                List<Contender> contenders = new ArrayList<>();
                List<AutoCloseable> stores = new ArrayList<>();
                String storeSchema = schema + "_" + run++;
                stores.add(addStore(contenders, "this", PersistWorkload.open(server.jdbcUrl(), storeSchema,
                        entriesPerReady, readiesPerCommit), probe, storeSchema));
                if (otherBuild != null) {
                    String otherSchema = storeSchema + "_other";
                    stores.add(addStore(contenders, "other", openInOtherBuild(otherBuild, server.jdbcUrl(), otherSchema,
                            entriesPerReady, readiesPerCommit), probe, otherSchema));
                }
                contenders.add(bare);
                try {
                    double[] rates = interleaved(contenders, measure);
                    double bareRate = rates[contenders.size() - 1];
                    for (int i = 0; i < contenders.size() - 1; i++) {
                        Contender contender = contenders.get(i);
                        double readies = rates[i] * readiesPerCommit;
                        System.out.printf("%-34s %-6s %10.0f %10.0f %14.0f %10.2f %10.0f %14.0f%n", name,
                                contender.name(), readies, readies * entriesPerReady, bareRate, rates[i] / bareRate,
                                contender.cost().walBytesPerStep(), contender.cost().cpuMicrosPerStep());
                    }
                    System.out.printf("%-34s %-6s %10s %10s %14.0f %10s %10.0f %14.0f%n", bare.name(), "", "", "",
                            bareRate, "", bare.cost().walBytesPerStep(), bare.cost().cpuMicrosPerStep());
                } finally {
                    for (AutoCloseable store : stores) {
                        store.close();
                    }
                }
            }
            System.out.println("(txn ratio: persist transactions per second / bare commits per second, same slices)");
        }
    }

    private static <T extends Callable<?> & AutoCloseable> AutoCloseable addStore(
            List<Contender> contenders, String name, T store, Connection probe, String storeSchema) throws Exception {
        contenders.add(new Contender(name, store, new ServerCost(probe, writerPid(probe, storeSchema))));
        return store;
    }

    /**
     * The other build's store, through its own class loader: this benchmark's classes (for
     * {@link PersistWorkload}) and the other build's main classes before the dependencies.
     * The JDBC driver is loaded there too, since DriverManager hands a caller only drivers
     * its class loader can see.
     */
    @SuppressWarnings("unchecked")
    private static <T extends Callable<?> & AutoCloseable> T openInOtherBuild(
            Path otherClasses, String jdbcUrl, String schema, int entriesPerReady, int readiesPerCommit)
            throws Exception {
        List<URL> urls = new ArrayList<>();
        urls.add(Path.of(PersistWorkload.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toUri().toURL());
        urls.add(otherClasses.toUri().toURL());
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (entry.endsWith(".jar")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        ClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        Class.forName("org.postgresql.Driver", true, loader);
        return (T) loader.loadClass(PersistWorkload.class.getName())
                .getMethod("open", String.class, String.class, int.class, int.class)
                .invoke(null, jdbcUrl, schema, entriesPerReady, readiesPerCommit);
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int writerPid(Connection probe, String storeSchema) throws SQLException {
        // PostgresLogStore names its writer session so (see PostgresLogStore.applicationName).
        try (PreparedStatement statement = probe.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, "latchkey-writer " + storeSchema);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("the store's writer session is not in pg_stat_activity");
                }
                return rs.getInt(1);
            }
        }
    }

    private static Callable<?> bareCommit(Connection connection, String schema) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET synchronous_commit TO on");
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            statement.execute("CREATE TABLE IF NOT EXISTS " + schema + ".commit_probe (id bigint PRIMARY KEY, payload bytea)");
        }
        PreparedStatement insert = connection.prepareStatement("INSERT INTO " + schema + ".commit_probe VALUES (?, ?)");
        byte[] payload = new byte[PersistWorkload.PAYLOAD_SIZE_BYTES];
        long[] id = {0};
        return () -> {
            insert.setLong(1, id[0]++);
            insert.setBytes(2, payload);
            return insert.executeUpdate();
        };
    }

    /**
     * WAL bytes and backend CPU time summed over one contender's slices. The embedded server
     * runs on this machine, so a backend's CPU time is in /proc.
     */
    private static final class ServerCost {
        private final Connection probe;
        private final Path backendStat;
        private final long nanosPerTick;
        private long steps;
        private long walBytes;
        private long cpuNanos;
        private long walAtStart;
        private long ticksAtStart;

        ServerCost(Connection probe, int backendPid) throws Exception {
            this.probe = probe;
            this.backendStat = Path.of("/proc", Integer.toString(backendPid), "stat");
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            nanosPerTick = 1_000_000_000L / Long.parseLong(new String(getconf.getInputStream().readAllBytes()).trim());
        }

        void start() throws Exception {
            walAtStart = walPosition();
            ticksAtStart = backendTicks();
        }

        void stop(long slicesSteps) throws Exception {
            walBytes += walPosition() - walAtStart;
            cpuNanos += (backendTicks() - ticksAtStart) * nanosPerTick;
            steps += slicesSteps;
        }

        double walBytesPerStep() {
            return (double) walBytes / steps;
        }

        double cpuMicrosPerStep() {
            return cpuNanos / 1e3 / steps;
        }

        private long walPosition() throws SQLException {
            try (Statement statement = probe.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /** utime + stime: fields 14 and 15 of /proc/pid/stat, counted after the command name's ')'. */
        private long backendTicks() throws Exception {
            String stat = Files.readString(backendStat);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }
    }

    /**
     * Warms each contender up, then runs them in turn, one slice each, until each has run
     * for {@code measure}; returns the steps per second of each.
     */
    private static double[] interleaved(List<Contender> contenders, Duration measure) throws Exception {
        for (Contender contender : contenders) {
            runFor(WARMUP.toNanos(), contender.step());
        }
        int n = contenders.size();
        long[] steps = new long[n];
        long[] nanos = new long[n];
        for (long slices = measure.toNanos() / SLICE.toNanos(), s = 0; s < slices * n; s++) {
            int which = (int) (s % n);
            Contender contender = contenders.get(which);
            contender.cost().start();
            long start = System.nanoTime();
            long sliceSteps = runFor(SLICE.toNanos(), contender.step());
            nanos[which] += System.nanoTime() - start;
            steps[which] += sliceSteps;
            contender.cost().stop(sliceSteps);
        }
        double[] rates = new double[n];
        for (int i = 0; i < n; i++) {
            rates[i] = steps[i] / (nanos[i] / 1e9);
        }
        return rates;
    }

    private static long runFor(long nanos, Callable<?> step) throws Exception {
        long end = System.nanoTime() + nanos;
        long steps = 0;
        while (System.nanoTime() < end) {
            step.call();
            steps++;
        }
        return steps;
    }
}
