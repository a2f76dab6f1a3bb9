package io.latchkey.jepsen;

import io.latchkey.client.ClusterInfo;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
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
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

/**
 * The Latchkey nodes of one run: separate JVMs from the test classpath, each with its own data
 * directory (and embedded PostgreSQL) and log. Node i (a slot: its address and ports) starts as
 * member i+1 of a static cluster; the membership nemesis may replace a slot's member by a new
 * one (new id, empty data directory, joined through the API). Only processes this class
 * started are ever signalled, by pid.
 */
final class Nodes implements AutoCloseable {
    private static final String SECRET = "jepsen-peer-secret";
    private static final Pattern SNAPSHOT_INSTALLED = Pattern.compile("\\[commit: \\d+] restored snapshot");

    final Network network;
    final Path root;
    final NodeFaults faults;
    private final long snapshotEntries;
    private final List<Process> processes = new ArrayList<>();
    private final boolean[] paused;
    /** Per slot, the PostgreSQL processes this harness stopped with SIGSTOP (empty when none). */
    private final List<List<Long>> pausedPostgres = new ArrayList<>();
    /** The member id each slot runs as now. */
    private final long[] memberIds;
    /** Slots whose member joined through the API (started with the cluster id, no static peers). */
    private final boolean[] joined;
    private volatile String clusterId;
    /** For the health probes and the Date header, which are HTTP itself rather than the client's API. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    /** Per slot: the workloads' client, the leader probe's and the membership nemesis's (see {@link #client}). */
    private final LatchkeyClient[] clients;
    private final LatchkeyClient[] probes;
    private final LatchkeyClient[] admins;

    Nodes(Network network, Path root, NodeFaults faults, long snapshotEntries) {
        this.network = network;
        this.root = root;
        this.faults = faults;
        this.snapshotEntries = snapshotEntries;
        this.paused = new boolean[network.size()];
        this.memberIds = new long[network.size()];
        this.joined = new boolean[network.size()];
        this.clients = new LatchkeyClient[network.size()];
        this.probes = new LatchkeyClient[network.size()];
        this.admins = new LatchkeyClient[network.size()];
        for (int i = 0; i < network.size(); i++) {
            processes.add(null);
            pausedPostgres.add(List.of());
            memberIds[i] = i + 1;
        }
    }

    int size() {
        return network.size();
    }

    String clientUrl(int i) {
        return "http://" + network.host(i) + ":" + network.clientPort(i);
    }

    String peerUrl(int i) {
        return "http://" + network.host(i) + ":" + network.peerPort(i);
    }

    synchronized long memberId(int i) {
        return memberIds[i];
    }

    /** The slot running member {@code id}, or -1. */
    synchronized int slotOf(long id) {
        for (int i = 0; i < size(); i++) {
            if (memberIds[i] == id) {
                return i;
            }
        }
        return -1;
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

    /** Alive and not stopped by {@link #pause}: it can answer. */
    private synchronized boolean running(int i) {
        return alive(i) && !paused[i];
    }

    synchronized void startAll() throws IOException {
        for (int i = 0; i < size(); i++) {
            start(i);
        }
    }

    /** Starts node i (again) on its data directory. */
    synchronized void start(int i) throws IOException {
        List<String> membership = new ArrayList<>();
        membership.add("-Dlatchkey.node-id=" + Long.toHexString(memberIds[i]));
        if (joined[i]) {
            membership.add("-Dlatchkey.cluster.id=" + clusterId);
        } else {
            // The initial members; a node that already has an identity ignores the list.
            StringBuilder peers = new StringBuilder();
            for (int p = 0; p < size(); p++) {
                peers.append(peers.isEmpty() ? "" : ",").append(Integer.toHexString(p + 1)).append('=').append(peerUrl(p));
            }
            membership.add("-Dlatchkey.cluster.peers=" + peers);
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
                "-Dlatchkey.raft.snapshot-entries=" + snapshotEntries));
        command.addAll(membership);
        command.addAll(List.of("-cp", NodeClasspath.get(), "io.helidon.Main"));
        Files.createDirectories(dataDir(i));
        faults.initialise(i);
        Files.writeString(log(i), "=== start " + java.time.Instant.now() + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
        builder.environment().putAll(faults.environment(i));
        processes.set(i, builder.start());
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
            resumePostgres(i);
            resume(i);
        }
    }

    /**
     * SIGSTOPs node i's embedded PostgreSQL: the postmaster (from its postmaster.pid) and every
     * process under it (the node's backends, writer, checkpointer), so its queries hang as on a
     * stalled database server. Returns how many processes were stopped (0 when none runs).
     */
    synchronized int pausePostgres(int i) {
        resumePostgres(i);
        List<Long> stopped = new ArrayList<>();
        postmaster(i).ifPresent(postmaster -> {
            Shell.signal(postmaster.pid(), "STOP");
            stopped.add(postmaster.pid());
            postmaster.descendants().forEach(child -> {
                Shell.signal(child.pid(), "STOP");
                stopped.add(child.pid());
            });
        });
        pausedPostgres.set(i, List.copyOf(stopped));
        return stopped.size();
    }

    /** SIGCONTs what {@link #pausePostgres} stopped on node i. */
    synchronized void resumePostgres(int i) {
        for (long pid : pausedPostgres.get(i)) {
            Shell.signal(pid, "CONT");
        }
        pausedPostgres.set(i, List.of());
    }

    private void appendLog(int i, String line) {
        try {
            Files.writeString(log(i), line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The log is for people; losing a marker line changes nothing.
        }
    }

    /**
     * The client the workloads use on slot i. It sends every request once, to that slot alone
     * (retry timeout zero): each failure reaches the harness as it happened, so an operation is
     * recorded as not sent, answered, or of unknown outcome, never as the last of several tries.
     */
    synchronized LatchkeyClient client(int i) {
        if (clients[i] == null) {
            clients[i] = single(i, Workloads.REQUEST_TIMEOUT);
        }
        return clients[i];
    }

    /** A client of slot i for membership changes (one attempt each, with time to commit them). */
    synchronized LatchkeyClient admin(int i) {
        if (admins[i] == null) {
            admins[i] = single(i, Duration.ofSeconds(20));
        }
        return admins[i];
    }

    private synchronized LatchkeyClient probe(int i) {
        if (probes[i] == null) {
            probes[i] = single(i, Duration.ofSeconds(2));
        }
        return probes[i];
    }

    private LatchkeyClient single(int i, Duration requestTimeout) {
        return LatchkeyClient.builder().endpoints(clientUrl(i)).retryTimeout(Duration.ZERO)
                .connectTimeout(Duration.ofSeconds(1)).requestTimeout(requestTimeout).build();
    }

    /** Node i's view of the cluster, or null when it does not answer. */
    ClusterInfo view(int i) {
        try {
            return admin(i).cluster();
        } catch (LatchkeyException e) {
            return null;
        }
    }

    /** The leader node i knows of (0-based index), or -1. */
    int leaderSeenBy(int i) {
        try {
            String leader = probe(i).cluster().leaderId();
            return leader == null ? -1 : slotOf(Long.parseUnsignedLong(leader, 16));
        } catch (LatchkeyException e) {
            return -1;
        }
    }

    /** The leader a majority of live nodes agree on, or -1. */
    int leader() {
        int[] votes = new int[size()];
        for (int i = 0; i < size(); i++) {
            int l = running(i) ? leaderSeenBy(i) : -1;
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

    /** Node i's liveness. */
    record Health(State state, String detail) {
        enum State {
            /** /health/live answers 200. */
            LIVE,
            /** It answers that it is not live (its loop stopped, e.g. after a storage failure, or it could not start). */
            DOWN,
            /** The process is gone. */
            EXITED,
            /** No answer: starting, or hung. */
            SILENT
        }

        @Override
        public String toString() {
            return detail.isEmpty() ? state.name().toLowerCase() : state.name().toLowerCase() + ": " + detail;
        }
    }

    Health health(int i) {
        if (!alive(i)) {
            return new Health(Health.State.EXITED, "");
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl(i) + "/health/live"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? new Health(Health.State.LIVE, "")
                    : new Health(Health.State.DOWN, r.statusCode() + " " + r.body());
        } catch (IOException e) {
            return new Health(Health.State.SILENT, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health(Health.State.SILENT, "interrupted");
        }
    }

    /**
     * How far node i's wall clock is from ours, in whole seconds, as the Date header of its
     * answers shows it; null when it does not answer or sends no Date.
     */
    Long wallClockOffsetSeconds(int i) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl(i) + "/health/live"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            long now = System.currentTimeMillis();
            return r.headers().firstValue("Date")
                    .map(d -> java.time.ZonedDateTime.parse(d, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME))
                    .map(d -> Math.round((d.toInstant().toEpochMilli() - now) / 1000.0))
                    .orElse(null);
        } catch (IOException | java.time.format.DateTimeParseException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Node i's commit index from its cluster view, or -1 when it does not answer. */
    long commitIndex(int i) {
        ClusterInfo view = view(i);
        return view == null ? -1 : view.commitIndex();
    }

    /**
     * Slot i runs a new member from now on: the caller has removed the old one and added this
     * one through the API. Its old process must be dead; its data directory is emptied, since a
     * new member starts from nothing and catches up from the leader.
     */
    synchronized void replaceMember(int i, long newId, String clusterIdHex) {
        if (alive(i)) {
            throw new IllegalStateException("node " + (i + 1) + " still runs");
        }
        memberIds[i] = newId;
        joined[i] = true;
        clusterId = clusterIdHex;
        stopOrphanedPostgres(i);
        JepsenRun.deleteTree(dataDir(i));
        appendLog(i, "=== slot now runs new member " + Long.toHexString(newId) + " of cluster " + clusterIdHex);
    }

    /**
     * How many snapshots the nodes installed from a leader, as their logs show (Raft logs
     * "[commit: N] restored snapshot" for each one it accepts).
     */
    long snapshotInstalls() {
        long installs = 0;
        for (int i = 0; i < size(); i++) {
            try (var lines = Files.exists(log(i)) ? Files.lines(log(i)) : java.util.stream.Stream.<String>empty()) {
                installs += lines.filter(l -> SNAPSHOT_INSTALLED.matcher(l).find()).count();
            } catch (IOException | java.io.UncheckedIOException e) {
                // Logs are evidence for people; an unreadable one counts nothing.
            }
        }
        return installs;
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

    private synchronized void closeClients() {
        for (LatchkeyClient[] slots : List.of(clients, probes, admins)) {
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] != null) {
                    slots[i].close();
                    slots[i] = null;
                }
            }
        }
    }

    /** For a harness being stopped: SIGKILL every node at once, then their PostgreSQL servers. */
    synchronized void killAll() {
        closeClients();
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
        closeClients();
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
        resumePostgres(i);
        postmaster(i).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
    }

    /** Node i's running PostgreSQL server, found through its postmaster.pid. */
    private java.util.Optional<ProcessHandle> postmaster(int i) {
        Path pidFile = dataDir(i).resolve("postgres").resolve("postmaster.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
                // Only a PostgreSQL server: the pid in a stale file may belong to someone else now.
                return ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").contains("postgres"));
            }
        } catch (IOException | RuntimeException e) {
            // Best effort; the namespace teardown kills anything left in a node's namespace.
        }
        return java.util.Optional.empty();
    }
}
