package io.latchkey.node.bench;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.ReplicaException;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.StateMachine;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.Logger;
import io.latchkey.raft.RaftPanicException;
import io.latchkey.storage.EmbeddedPostgresServer;
import io.latchkey.storage.NodeIdentity;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.storage.PostgresReplicaLogStore;
import io.latchkey.storage.StorageConfig;
import io.latchkey.testing.Await;
import io.latchkey.transport.FileSnapshotStreams;
import io.latchkey.transport.Http2PeerTransport;
import io.latchkey.transport.PeerServer;
import io.latchkey.transport.PeerTransportConfig;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Commit rate and latency of the node runtime without HTTP clients: three {@link Replica}s in
 * one JVM, each on its {@link ReplicaLoop} with its own {@link PostgresLogStore} (one schema
 * each on one embedded PostgreSQL with fsync on), talking through real {@link Http2PeerTransport}s
 * over loopback, applying to a counter. Closed-loop proposers on the leader each propose a
 * 64-byte command and wait until it is applied there, then propose the next. Not a test: run by
 * hand (see BENCHMARKS.md, "Node runtime").
 *
 * <p>Each storage mode (sync: each Ready persisted on the loop; async: raft's async storage
 * writes, {@code latchkey.raft.async-storage-writes}) gets a fresh cluster; for each concurrency
 * it prints commits/s, p50/p99 latency and the WAL flushes and transactions of the PostgreSQL
 * server per commit (all three nodes together, from {@code pg_stat_wal} and
 * {@code pg_stat_database}).
 *
 * <p>Args: warm-up seconds (2), measured seconds (8), concurrencies (1,16,256), modes (sync,async).
 */
public final class NodeCommitBenchmark {
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Duration PROPOSAL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration ELECTION_WAIT_MAX = Duration.ofSeconds(30);
    private static final ByteString PAYLOAD = ByteString.copyFrom(new byte[64]);
    private static final String SECRET = "node-benchmark-secret-0123456789";

    private NodeCommitBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int warmupSeconds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int measureSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int[] concurrencies = Arrays.stream((args.length > 2 ? args[2] : "1,16,256").split(","))
                .mapToInt(Integer::parseInt).toArray();
        String[] modes = (args.length > 3 ? args[3] : "sync,async").split(",");

        Path dir = Files.createDirectories(Path.of("target", "node-bench").toAbsolutePath());
        Path snapshots = Files.createTempDirectory(dir, "snapshots");
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(dir)) {
            System.out.printf("%-6s %6s %10s %9s %9s %12s %12s %10s%n", "mode", "procs", "commits/s",
                    "p50 ms", "p99 ms", "flushes/op", "xacts/op", "errors");
            for (String mode : modes) {
                boolean async = switch (mode) {
                    case "sync" -> false;
                    case "async" -> true;
                    default -> throw new IllegalArgumentException("mode must be sync or async: " + mode);
                };
                try (Cluster cluster = Cluster.start(postgres, snapshots, async)) {
                    for (int proposers : concurrencies) {
                        cluster.run(proposers, warmupSeconds);
                        long[] walBefore = walCounters(postgres);
                        Result result = cluster.run(proposers, measureSeconds);
                        long[] walAfter = walCounters(postgres);
                        double ops = Math.max(1, result.latenciesNanos.length);
                        System.out.printf("%-6s %6d %10.0f %9.2f %9.2f %12.2f %12.2f %10d%n", mode, proposers,
                                result.latenciesNanos.length / (double) measureSeconds,
                                percentile(result.latenciesNanos, 0.50) / 1e6,
                                percentile(result.latenciesNanos, 0.99) / 1e6,
                                (walAfter[0] - walBefore[0]) / ops, (walAfter[1] - walBefore[1]) / ops, result.errors);
                    }
                }
            }
        }
    }

    /** WAL syncs and committed transactions of the whole server, as far as its statistics tell. */
    private static long[] walCounters(EmbeddedPostgresServer postgres) throws SQLException {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl());
             Statement statement = connection.createStatement()) {
            // Backends report their counters when idle, at most every 500 ms.
            Await.pause(Duration.ofMillis(600));
            try (ResultSet rs = statement.executeQuery("SELECT (SELECT wal_sync FROM pg_stat_wal), "
                    + "(SELECT sum(xact_commit) FROM pg_stat_database)")) {
                rs.next();
                return new long[]{rs.getLong(1), rs.getLong(2)};
            }
        }
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private record Result(long[] latenciesNanos, long errors) {
    }

    private static final class Cluster implements AutoCloseable {
        private final List<AutoCloseable> resources = new ArrayList<>();
        private final List<ReplicaLoop> loops = new ArrayList<>();
        private ReplicaLoop leader;

        static Cluster start(EmbeddedPostgresServer postgres, Path snapshots, boolean async) throws IOException {
            Cluster cluster = new Cluster();
            try {
                cluster.startNodes(postgres, snapshots, async);
                return cluster;
            } catch (IOException | RuntimeException e) {
                cluster.close();
                throw e;
            }
        }

        private void startNodes(EmbeddedPostgresServer postgres, Path snapshots, boolean async) throws IOException {
            long clusterId = System.nanoTime() & 0xffff_ffffL;
            List<Http2PeerTransport> transports = new ArrayList<>();
            List<Member> members = new ArrayList<>();
            for (long id = 1; id <= 3; id++) {
                PeerTransportConfig config = PeerTransportConfig.defaults(id, Long.toHexString(clusterId), SECRET)
                        .withListen("127.0.0.1", 0);
                Http2PeerTransport transport = new Http2PeerTransport(config, new FileSnapshotStreams(snapshots));
                PeerServer server = PeerServer.start(config, transport.endpoint());
                resources.add(server);
                transports.add(transport);
                members.add(Member.newBuilder().setId(id).setName("n" + id)
                        .setPeerUrl("http://127.0.0.1:" + server.port()).build());
            }
            for (int i = 0; i < 3; i++) {
                long id = i + 1;
                for (Member m : members) {
                    if (m.getId() != id) {
                        transports.get(i).setPeer(m.getId(), m.getPeerUrl());
                    }
                }
                String schema = "bench_" + Long.toHexString(clusterId) + "_" + id;
                PostgresLogStore store = PostgresLogStore.open(
                        StorageConfig.external(postgres.jdbcUrl(), schema, Map.of()), new NodeIdentity(id, clusterId));
                resources.add(store);
                ReplicaConfig defaults = ReplicaConfig.defaults(id, clusterId, new SplittableRandom(id));
                ReplicaConfig config = new ReplicaConfig(id, clusterId, defaults.electionTicks(),
                        defaults.heartbeatTicks(), defaults.maxSizePerMsgBytes(), defaults.maxInflightMsgs(),
                        defaults.maxUncommittedBytes(), defaults.snapshotEntries(), defaults.compactionMarginEntries(),
                        defaults.idempotencyKeysMax(), defaults.idempotencyTtlMillis(), async, defaults.random());
                Replica replica = new Replica(config, new PostgresReplicaLogStore(store), transports.get(i),
                        new Counter(), QUIET, CrashPoints.NONE);
                replica.bootstrap(members);
                ReplicaLoop loop = new ReplicaLoop(replica, transports.get(i), TICK);
                // Closed before the stores and servers it uses.
                resources.add(0, loop);
                loops.add(loop);
                loop.start();
            }
            // Votes are refused for an election timeout after a start, so the first leader comes
            // from the election timers rather than from a campaign call.
            Await.until(ELECTION_WAIT_MAX, "a leader is elected", () -> leaderLoop() != null);
            leader = leaderLoop();
        }

        private ReplicaLoop leaderLoop() {
            for (ReplicaLoop loop : loops) {
                if (ReplicaLoop.join(loop.query(r -> r.leaderId() == r.id(), PROPOSAL_TIMEOUT))) {
                    return loop;
                }
            }
            return null;
        }

        Result run(int proposers, int seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long[][] latencies = new long[proposers][];
            int[] counts = new int[proposers];
            AtomicLong errors = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < proposers; p++) {
                int slot = p;
                threads.add(Thread.ofPlatform().name("proposer-" + p).start(() -> {
                    long[] mine = new long[1024];
                    int n = 0;
                    while (true) {
                        long start = System.nanoTime();
                        if (start - end >= 0) {
                            break;
                        }
                        try {
                            ReplicaLoop.join(leader.propose(Proposal.of(PAYLOAD, 0), PROPOSAL_TIMEOUT));
                        } catch (ReplicaException e) {
                            errors.incrementAndGet();
                            continue;
                        }
                        long done = System.nanoTime();
                        if (done - end >= 0) {
                            break;
                        }
                        if (n == mine.length) {
                            mine = Arrays.copyOf(mine, n * 2);
                        }
                        mine[n++] = done - start;
                    }
                    latencies[slot] = mine;
                    counts[slot] = n;
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            int total = Arrays.stream(counts).sum();
            long[] all = new long[total];
            int at = 0;
            for (int p = 0; p < proposers; p++) {
                System.arraycopy(latencies[p], 0, all, at, counts[p]);
                at += counts[p];
            }
            Arrays.sort(all);
            return new Result(all, errors.get());
        }

        @Override
        public void close() {
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    System.err.println("closing " + resource + ": " + e);
                }
            }
        }
    }

    /** The trivial state machine: counts applied commands. */
    private static final class Counter implements StateMachine {
        private long applied;

        @Override
        public ByteString apply(long index, ByteString command) {
            applied++;
            return ByteString.EMPTY;
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            new DataOutputStream(out).writeLong(applied);
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            applied = new DataInputStream(in).readLong();
        }
    }

    private static final Logger QUIET = new Logger() {
        @Override
        public void debug(String format, Object... args) {
        }

        @Override
        public void info(String format, Object... args) {
        }

        @Override
        public void warning(String format, Object... args) {
            System.err.println("raft: " + String.format(format, args));
        }

        @Override
        public void error(String format, Object... args) {
            System.err.println("raft: " + String.format(format, args));
        }

        @Override
        public RaftPanicException fatal(String format, Object... args) {
            throw new RaftPanicException(String.format(format, args));
        }

        @Override
        public RaftPanicException panic(String format, Object... args) {
            throw new RaftPanicException(String.format(format, args));
        }
    };
}
