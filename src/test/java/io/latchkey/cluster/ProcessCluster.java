package io.latchkey.cluster;

import io.latchkey.client.ClusterInfo;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.testing.Await;
import io.latchkey.testing.ListenPorts;
import io.latchkey.testing.NodeClasspath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A cluster of real Latchkey processes on 127.0.0.1 for tests: each node is its own JVM
 * (started from the test classpath with {@code io.helidon.Main}), with its own embedded
 * PostgreSQL and data directory, talking HTTP/2 to its peers. Nodes can be killed with
 * SIGKILL and restarted on the same data.
 */
public final class ProcessCluster implements AutoCloseable {
    static final String SECRET = "process-cluster-test-secret";

    final Path root;
    public final List<NodeProcess> nodes = new ArrayList<>();
    /** System properties given to every node, e.g. a small snapshot interval. */
    public final List<String> commonProperties = new ArrayList<>();
    /** Environment variables given to every node, the way a container gets its settings. */
    final java.util.Map<String, String> commonEnvironment = new java.util.HashMap<>();
    /** Null starts the nodes without a shared secret (mutual TLS alone authenticates them). */
    String peerSecret = SECRET;
    /** https when the nodes run mutual TLS between them. */
    String peerScheme = "http";
    /** https when the nodes serve their client port over TLS (see {@link #useClientTls}). */
    private String clientScheme = "http";
    private javax.net.ssl.SSLContext clientTls;
    private HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<LatchkeyClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One member: fixed ports and data directory, and the process while it runs. */
    public final class NodeProcess {
        public final int index;
        public final long id;
        final int clientPort;
        final int peerPort;
        final Path dataDir;
        final Path log;
        /** Environment variables of this node alone, on top of {@link #commonEnvironment}. */
        final java.util.Map<String, String> environment = new java.util.HashMap<>();
        Process process;
        private LatchkeyClient client;
        private LatchkeyClient probe;

        NodeProcess(int index, int clientPort, int peerPort) {
            this.index = index;
            this.id = index;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.dataDir = root.resolve("node-" + index);
            this.log = root.resolve("node-" + index + ".log");
        }

        public String clientUrl() {
            return clientScheme + "://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return peerScheme + "://127.0.0.1:" + peerPort;
        }

        public boolean alive() {
            return process != null && process.isAlive();
        }

        void start(List<String> extraProperties) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-Dserver.host=127.0.0.1",
                    "-Dserver.port=" + clientPort,
                    "-Dlatchkey.peer-port=" + peerPort,
                    "-Dlatchkey.data-dir=" + dataDir,
                    "-Dlatchkey.raft.tick-interval-millis=50"));
            if (peerSecret != null) {
                command.add("-Dlatchkey.peer.secret=" + peerSecret);
            }
            command.addAll(commonProperties);
            command.addAll(extraProperties);
            command.addAll(List.of("-cp", NodeClasspath.get(), "io.helidon.Main"));
            Files.createDirectories(dataDir);
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(commonEnvironment);
            builder.environment().putAll(environment);
            process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        }

        /** SIGTERM, as Kubernetes or Ctrl-C stops a node, and waits for the process to exit. */
        void stop() throws InterruptedException {
            if (process != null) {
                process.destroy();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("node " + index + " did not stop within 60 s of SIGTERM\n" + logTails());
                }
            }
        }

        /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already durable. */
        public void kill() throws InterruptedException {
            if (process != null) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }

        /** Sends SIGSTOP: the process freezes, as in a long GC pause or a stalled VM. */
        public void pause() {
            signal("STOP");
        }

        public void resume() {
            signal("CONT");
        }

        private void signal(String name) {
            try {
                new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * A raw HTTP call to this node, for tests of HTTP itself (health endpoints, exact status
         * codes, metrics text); status -1 if it does not answer.
         */
        Reply call(String method, String path, String body, String contentType) {
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(clientUrl() + path)).timeout(Duration.ofSeconds(20));
                if (contentType != null) {
                    b.header("Content-Type", contentType);
                }
                b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return new Reply(r.statusCode(), r.body());
            } catch (IOException e) {
                return new Reply(-1, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Reply(-1, "interrupted");
            }
        }

        /**
         * The Java client of this node alone (no failover to others), as a careful application
         * uses it: 503s and unknown outcomes of idempotent writes are retried for 30 s. Closed
         * with the cluster; it reconnects when the node restarts.
         */
        public synchronized LatchkeyClient client() {
            if (client == null) {
                client = track(clientBuilder().retryTimeout(Duration.ofSeconds(30)).requestTimeout(Duration.ofSeconds(20)).build());
            }
            return client;
        }

        /** A client builder for this node alone, with the cluster's client TLS; the caller closes what it builds. */
        public LatchkeyClient.Builder clientBuilder() {
            LatchkeyClient.Builder b = LatchkeyClient.builder().endpoints(clientUrl()).connectTimeout(Duration.ofSeconds(2));
            return clientTls == null ? b : b.sslContext(clientTls);
        }

        /** A client of this node that sends each request once, with a 3 s timeout: for polling while it may be down. */
        synchronized LatchkeyClient probe() {
            if (probe == null) {
                probe = track(clientBuilder().retryTimeout(Duration.ZERO).requestTimeout(Duration.ofSeconds(3)).build());
            }
            return probe;
        }

        /** GET /v1/cluster on this node, or null if it does not answer it. */
        public ClusterInfo cluster() {
            try {
                return probe().cluster();
            } catch (LatchkeyException e) {
                return null;
            }
        }

        /** The leader this node knows of, or 0. */
        public long leader() {
            ClusterInfo view = cluster();
            return view == null || view.leaderId() == null ? 0 : Long.parseUnsignedLong(view.leaderId(), 16);
        }
    }

    record Reply(int status, String body) {
    }

    private LatchkeyClient track(LatchkeyClient c) {
        clients.add(c);
        return c;
    }

    public ProcessCluster(Path root, int size) throws IOException {
        this.root = root;
        for (int i = 1; i <= size; i++) {
            nodes.add(new NodeProcess(i, ListenPorts.free(), ListenPorts.free()));
        }
    }

    /**
     * Talks https to the client ports, trusting {@code tls}; the nodes must be given the
     * {@code server.tls} settings (e.g. in {@link #commonProperties}).
     */
    void useClientTls(javax.net.ssl.SSLContext tls) {
        clientScheme = "https";
        clientTls = tls;
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(tls).build();
    }

    /** Starts every node as an initial member of a static cluster. */
    public void startAll() throws IOException {
        for (NodeProcess n : nodes) {
            startStatic(n);
        }
    }

    public void startStatic(NodeProcess n) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (NodeProcess p : nodes) {
            peers.append(peers.isEmpty() ? "" : ",").append(Long.toHexString(p.id)).append('=').append(p.peerUrl());
        }
        n.start(List.of("-Dlatchkey.node-id=" + Long.toHexString(n.id), "-Dlatchkey.cluster.peers=" + peers));
    }

    /** A cluster of one node started the README's way (see {@link #startAlone}), without a shared secret. */
    static ProcessCluster alone(Path root, List<String> properties) throws IOException {
        ProcessCluster cluster = new ProcessCluster(root, 1);
        cluster.peerSecret = null;
        cluster.commonProperties.addAll(properties);
        return cluster;
    }

    /**
     * Starts a node the way the README runs one: no peers, no node id, no secret; it bootstraps
     * a cluster of its own on its first start, under a random id, and leads it.
     */
    void startAlone(NodeProcess n, Duration timeout) throws IOException {
        n.start(List.of());
        await(timeout, "node " + n.index + " to lead itself", () -> n.leader() != 0);
    }

    /** Waits until every live node agrees on one leader; returns it. */
    public NodeProcess awaitLeader(Duration timeout) {
        long[] leader = {0};
        await(timeout, "one leader known by every live node", () -> {
            long agreed = 0;
            for (NodeProcess n : nodes) {
                if (!n.alive()) {
                    continue;
                }
                long l = n.leader();
                if (l == 0 || (agreed != 0 && l != agreed)) {
                    return false;
                }
                agreed = l;
            }
            leader[0] = agreed;
            return agreed != 0 && nodes.stream().anyMatch(n -> n.alive() && n.id == leader[0]);
        });
        return nodes.stream().filter(n -> n.id == leader[0]).findFirst().orElseThrow();
    }

    /** Waits on a condition with a deadline; fails with the description and the node logs' tails. */
    public void await(Duration timeout, String what, BooleanSupplier condition) {
        if (Await.within(timeout, condition)) {
            return;
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "\n" + logTails());
    }

    String logTails() {
        StringBuilder out = new StringBuilder("logs in ").append(root).append('\n');
        for (NodeProcess n : nodes) {
            try {
                List<String> lines = Files.exists(n.log) ? Files.readAllLines(n.log) : List.of();
                out.append("--- node ").append(n.index).append(" log tail ---\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("(unreadable log of node ").append(n.index).append(")\n");
            }
        }
        return out.toString();
    }

    @Override
    public void close() throws InterruptedException {
        clients.forEach(LatchkeyClient::close);
        for (NodeProcess n : nodes) {
            if (n.process != null && n.process.isAlive()) {
                n.process.destroy();
            }
        }
        for (NodeProcess n : nodes) {
            if (n.process != null && !n.process.waitFor(30, TimeUnit.SECONDS)) {
                n.kill();
            }
            stopOrphanedPostgres(n);
        }
    }

    /**
     * A node killed with SIGKILL leaves its embedded PostgreSQL running (a restart takes it
     * over); at the end of a test nobody will, so stop it, and wait for it: its shutdown
     * checkpoint writes into the data directory the test's cleanup is about to delete.
     */
    private static void stopOrphanedPostgres(NodeProcess n) {
        Path pidFile = n.dataDir.resolve("postgres").resolve("postmaster.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
                ProcessHandle.of(pid).ifPresent(postmaster -> {
                    postmaster.destroy();
                    try {
                        postmaster.onExit().get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        postmaster.destroyForcibly();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: the directory is about to be deleted anyway.
        }
    }
}
