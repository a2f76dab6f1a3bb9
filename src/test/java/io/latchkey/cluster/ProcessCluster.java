package io.latchkey.cluster;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster of real Latchkey processes on 127.0.0.1 for tests: each node is its own JVM
 * (started from the test classpath with {@code io.helidon.Main}), with its own embedded
 * PostgreSQL and data directory, talking HTTP/2 to its peers. Nodes can be killed with
 * SIGKILL and restarted on the same data.
 */
public final class ProcessCluster implements AutoCloseable {
    static final String SECRET = "process-cluster-test-secret";
    private static final Pattern LEADER = Pattern.compile("\"leaderId\":\"([0-9a-f]+)\"");

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
    private HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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

        /** An HTTP call to this node's API; status -1 if it does not answer. */
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
         * A write as a careful client sends it: with an {@code Idempotency-Key}, sent again with
         * the same key after a 503, a 504 (outcome unknown) or a lost connection, until an
         * answer or the deadline. Each attempt may wait up to {@code attemptTimeout}.
         */
        Reply callIdempotent(String method, String path, String body, String contentType, String key,
                             Duration attemptTimeout, Duration deadline) {
            long end = System.nanoTime() + deadline.toNanos();
            while (true) {
                Reply reply;
                try {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(clientUrl() + path)).timeout(attemptTimeout)
                            .header("Content-Type", contentType).header("Idempotency-Key", key)
                            .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
                    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                    reply = new Reply(r.statusCode(), r.body());
                } catch (IOException e) {
                    reply = new Reply(-1, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Reply(-1, "interrupted");
                }
                boolean retry = reply.status() == 503 || reply.status() == 504 || reply.status() == -1;
                if (!retry || System.nanoTime() - end >= 0) {
                    return reply;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
        }

        /**
         * Like {@link #call}, retrying while the node answers 503 (no leader ready yet, as right
         * after an election) the way a client honouring Retry-After would, up to a deadline.
         */
        Reply callRetrying(String method, String path, String body, String contentType) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Reply reply = call(method, path, body, contentType);
            while (reply.status() == 503 && System.nanoTime() - deadline < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                reply = call(method, path, body, contentType);
            }
            return reply;
        }

        /** The JSON of GET /v1/cluster, or null if the node does not answer. */
        String cluster() {
            return get("/v1/cluster");
        }

        String get(String path) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl() + path))
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? r.body() : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        /** The leader this node knows of, or 0. */
        public long leader() {
            String json = cluster();
            if (json == null) {
                return 0;
            }
            Matcher m = LEADER.matcher(json);
            return m.find() ? Long.parseUnsignedLong(m.group(1), 16) : 0;
        }
    }

    record Reply(int status, String body) {
        private static final Pattern VALUE = Pattern.compile("\"value\":\"([^\"]*)\"");

        /** The value of a config key read with 200, else null. */
        String configValue() {
            if (status != 200) {
                return null;
            }
            Matcher m = VALUE.matcher(body);
            return m.find() ? m.group(1) : null;
        }
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
     * over); at the end of a test nobody will, so stop it.
     */
    private static void stopOrphanedPostgres(NodeProcess n) {
        Path pidFile = n.dataDir.resolve("postgres").resolve("postmaster.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: the directory is about to be deleted anyway.
        }
    }
}
