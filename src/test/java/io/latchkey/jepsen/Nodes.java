package io.latchkey.jepsen;

import io.latchkey.testing.Await;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Latchkey nodes of one run: separate JVMs from the test classpath, each with its own data
 * directory (and embedded PostgreSQL) and log, static membership. Only processes this class
 * started are ever signalled, by pid.
 */
final class Nodes implements AutoCloseable {
    private static final String SECRET = "jepsen-peer-secret";
    private static final Pattern LEADER = Pattern.compile("\"leaderId\":\"([0-9a-f]+)\"");

    final Network network;
    final Path root;
    private final List<Process> processes = new ArrayList<>();
    private final boolean[] paused;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    Nodes(Network network, Path root) {
        this.network = network;
        this.root = root;
        this.paused = new boolean[network.size()];
        for (int i = 0; i < network.size(); i++) {
            processes.add(null);
        }
    }

    int size() {
        return network.size();
    }

    String clientUrl(int i) {
        return "http://" + network.host(i) + ":" + network.clientPort(i);
    }

    Path log(int i) {
        return root.resolve("node-" + (i + 1) + ".log");
    }

    private Path dataDir(int i) {
        return root.resolve("node-" + (i + 1));
    }

    synchronized boolean alive(int i) {
        return processes.get(i) != null && processes.get(i).isAlive();
    }

    synchronized void startAll() throws IOException {
        for (int i = 0; i < size(); i++) {
            start(i);
        }
    }

    /** Starts node i (again) on its data directory. */
    synchronized void start(int i) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (int p = 0; p < size(); p++) {
            peers.append(peers.isEmpty() ? "" : ",").append(Integer.toHexString(p + 1))
                    .append("=http://").append(network.host(p)).append(':').append(network.peerPort(p));
        }
        List<String> command = new ArrayList<>(network.wrap(i));
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx200m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dserver.host=" + network.host(i),
                "-Dserver.port=" + network.clientPort(i),
                "-Dlatchkey.peer-port=" + network.peerPort(i),
                "-Dlatchkey.data-dir=" + dataDir(i),
                "-Dlatchkey.peer.secret=" + SECRET,
                "-Dlatchkey.raft.tick-interval-millis=50",
                "-Dlatchkey.node-id=" + Integer.toHexString(i + 1),
                "-Dlatchkey.cluster.peers=" + peers,
                "-cp", NodeClasspath.get(), "io.helidon.Main"));
        Files.createDirectories(dataDir(i));
        Files.writeString(log(i), "=== start " + java.time.Instant.now() + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        processes.set(i, new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile())).start());
        paused[i] = false;
    }

    /** SIGKILL: nothing runs on the way down. */
    synchronized void kill(int i) throws InterruptedException {
        Process p = processes.get(i);
        if (p != null) {
            if (paused[i]) {
                Shell.signal(p.pid(), "CONT");
            }
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            paused[i] = false;
            appendLog(i, "=== kill -9 " + java.time.Instant.now());
        }
    }

    synchronized void pause(int i) {
        Process p = processes.get(i);
        if (p != null && p.isAlive()) {
            Shell.signal(p.pid(), "STOP");
            paused[i] = true;
        }
    }

    synchronized void resume(int i) {
        Process p = processes.get(i);
        if (p != null && paused[i]) {
            Shell.signal(p.pid(), "CONT");
            paused[i] = false;
        }
    }

    synchronized void resumeAll() {
        for (int i = 0; i < size(); i++) {
            resume(i);
        }
    }

    private void appendLog(int i, String line) {
        try {
            Files.writeString(log(i), line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The log is for people; losing a marker line changes nothing.
        }
    }

    /** The leader node i knows of (0-based index), or -1. */
    int leaderSeenBy(int i) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl(i) + "/v1/cluster"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            Matcher m = LEADER.matcher(r.body());
            return m.find() ? (int) Long.parseLong(m.group(1), 16) - 1 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The leader a majority of live nodes agree on, or -1. */
    int leader() {
        int[] votes = new int[size()];
        for (int i = 0; i < size(); i++) {
            int l = alive(i) && !paused[i] ? leaderSeenBy(i) : -1;
            if (l >= 0 && l < size()) {
                votes[l]++;
            }
        }
        for (int l = 0; l < size(); l++) {
            if (votes[l] > size() / 2) {
                return l;
            }
        }
        return -1;
    }

    /** Waits until a majority agrees on a leader that answers writes; false on timeout. */
    boolean awaitLeader(Duration timeout) throws InterruptedException {
        return Await.within(timeout, () -> leader() >= 0);
    }

    String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < size(); i++) {
            try {
                List<String> all = Files.exists(log(i)) ? Files.readAllLines(log(i)) : List.of();
                out.append("--- node ").append(i + 1).append(" log tail ---\n");
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("(unreadable log of node ").append(i + 1).append(")\n");
            }
        }
        return out.toString();
    }

    /** For a harness being stopped: SIGKILL every node at once, then their PostgreSQL servers. */
    synchronized void killAll() {
        for (int i = 0; i < size(); i++) {
            Process p = processes.get(i);
            if (p != null) {
                if (paused[i]) {
                    Shell.signal(p.pid(), "CONT");
                }
                p.destroyForcibly();
            }
        }
        for (int i = 0; i < size(); i++) {
            Process p = processes.get(i);
            try {
                if (p != null) {
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopOrphanedPostgres(i);
        }
    }

    /**
     * Stops every node: resumes paused ones, SIGTERM then SIGKILL, then the PostgreSQL a killed
     * node left behind (found through its postmaster.pid).
     */
    @Override
    public synchronized void close() {
        resumeAll();
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (int i = 0; i < size(); i++) {
            Process p = processes.get(i);
            try {
                if (p != null && !p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
            stopOrphanedPostgres(i);
        }
    }

    private void stopOrphanedPostgres(int i) {
        Path pidFile = dataDir(i).resolve("postgres").resolve("postmaster.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
                // Only a PostgreSQL server: the pid in a stale file may belong to someone else now.
                ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").contains("postgres")).ifPresent(h -> {
                    h.destroy();
                    try {
                        h.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            // Best effort; the namespace teardown kills anything left in a node's namespace.
        }
    }
}
