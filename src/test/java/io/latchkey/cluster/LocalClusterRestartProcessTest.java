package io.latchkey.cluster;

import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.testing.Await;
import io.latchkey.testing.ListenPorts;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member of a 3-node cluster started with {@code scripts/local-cluster.sh} (the nodes run
 * from the test classpath through the script's LATCHKEY_CLASSPATH) is stopped with SIGTERM
 * and later killed with SIGKILL under writes; {@code local-cluster.sh start} brings it back,
 * and it holds every write the cluster acknowledged, its own and those made while it was down.
 */
@Tag("cluster")
class LocalClusterRestartProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(150);

    /** Kept when the test fails: the node logs say why. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    private int basePort;
    private int peerBasePort;
    /** Per node: a client that sends each request once, so that a write counts only when its own answer says so. */
    private final Map<Integer, LatchkeyClient> clients = new ConcurrentHashMap<>();

    @AfterEach
    void stopCluster() throws Exception {
        clients.values().forEach(LatchkeyClient::close);
        script("stop");
    }

    @Test
    void aMemberStoppedOrKilled_comesBackWithEveryAcknowledgedWrite() throws Exception {
        basePort = ListenPorts.freeBase(3);
        peerBasePort = ListenPorts.freeBase(3);
        script("start");
        int member = awaitLeader();

        // SIGTERM the leader; the others go on; the script starts it again.
        List<Integer> written = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            assertThat(put(member, "term/k" + i, "v" + i)).isTrue();
            written.add(i);
        }
        signal(member, "TERM");
        awaitExit(member);
        int other = awaitLeader();
        for (int i = 20; i < 40; i++) {
            assertThat(putRetrying(other, "term/k" + i, "v" + i)).isTrue();
            written.add(i);
        }
        script("start");
        awaitApplied(member, "term/k39", "v39");
        for (int i : written) {
            assertThat(serializableRead(member, "term/k" + i)).isEqualTo("v" + i);
        }

        // SIGKILL it while four clients write through it; restart; every acknowledged write is there.
        ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int first = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int i = first; writing.get(); i += 4) {
                    if (put(member, "kill/k" + i, "v" + i)) {
                        acknowledged.add(i);
                    }
                }
            }));
        }
        assertThat(Await.within(WAIT, () -> acknowledged.size() >= 60)).as("60 acknowledged writes").isTrue();
        signal(member, "KILL");
        awaitExit(member);
        writing.set(false);
        for (Thread t : writers) {
            t.join(Duration.ofSeconds(30));
        }
        script("start");
        awaitLeader();
        int last = acknowledged.stream().mapToInt(Integer::intValue).max().orElseThrow();
        awaitApplied(member, "kill/k" + last, "v" + last);
        List<Integer> lost = acknowledged.stream()
                .filter(i -> !("v" + i).equals(serializableRead(member, "kill/k" + i))).toList();
        assertThat(lost).as("acknowledged writes missing on the restarted member (of %d)", acknowledged.size()).isEmpty();
        assertThat(putRetrying(member, "kill/after", "x")).isTrue();
    }

    private void script(String command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/local-cluster.sh", command, "3")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("script.log").toFile()));
        builder.environment().put("LATCHKEY_CLUSTER_DIR", dir.toString());
        builder.environment().put("LATCHKEY_BASE_PORT", Integer.toString(basePort));
        builder.environment().put("LATCHKEY_PEER_BASE_PORT", Integer.toString(peerBasePort));
        builder.environment().put("LATCHKEY_CLASSPATH", NodeClasspath.get());
        builder.environment().put("LATCHKEY_JAVA_OPTS", "-Xmx256m");
        // Three JVMs and PostgreSQLs starting on a busy machine can take longer than the script's default.
        builder.environment().put("LATCHKEY_LEADER_WAIT_SECONDS", Long.toString(WAIT.toSeconds()));
        Process p = builder.start();
        assertThat(p.waitFor(2 * WAIT.toSeconds(), TimeUnit.SECONDS)).as("local-cluster.sh %s to finish", command).isTrue();
        assertThat(p.exitValue()).as("local-cluster.sh %s exit status\n%s", command, logs()).isZero();
    }

    private long pid(int node) throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("node-" + node + ".pid")).strip());
    }

    private void signal(int node, String name) throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(pid(node))).start().waitFor()).isZero();
    }

    private void awaitExit(int node) throws IOException {
        long pid = pid(node);
        assertThat(Await.within(Duration.ofSeconds(60), () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)))
                .as("node %d to exit", node).isTrue();
    }

    /** Waits until a live node knows a leader; returns the leader's node number (its id). */
    private int awaitLeader() {
        int[] leader = {0};
        boolean found = Await.within(WAIT, () -> {
            for (int i = 1; i <= 3; i++) {
                String known = leaderSeenBy(i);
                if (known != null) {
                    leader[0] = Integer.parseInt(known, 16);
                    return put(leader[0], "probe", "p");
                }
            }
            return false;
        });
        assertThat(found).as("a leader that takes writes\n%s", logs()).isTrue();
        return leader[0];
    }

    private void awaitApplied(int node, String key, String value) {
        assertThat(Await.within(WAIT, () -> value.equals(serializableRead(node, key))))
                .as("node %d to apply %s\n%s", node, key, logs()).isTrue();
    }

    private LatchkeyClient client(int node) {
        return clients.computeIfAbsent(node, n -> LatchkeyClient.builder().endpoints("http://127.0.0.1:" + (basePort + n))
                .retryTimeout(Duration.ZERO).requestTimeout(Duration.ofSeconds(20)).build());
    }

    /** The leader node {@code node} knows of (hex id), or null if none or it does not answer. */
    private String leaderSeenBy(int node) {
        try {
            return client(node).cluster().leaderId();
        } catch (LatchkeyException e) {
            return null;
        }
    }

    private String serializableRead(int node, String key) {
        try {
            return client(node).get(key, "serializable").map(KeyValue::text).orElse(null);
        } catch (LatchkeyException e) {
            return null;
        }
    }

    private boolean putRetrying(int node, String key, String value) {
        return Await.within(WAIT, () -> put(node, key, value));
    }

    /** Whether node {@code node} acknowledged the write. */
    private boolean put(int node, String key, String value) {
        try {
            client(node).put(key, value);
            return true;
        } catch (LatchkeyException e) {
            return false;
        }
    }

    private String logs() {
        StringBuilder out = new StringBuilder("logs in ").append(dir).append('\n');
        for (int i = 1; i <= 3; i++) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve("node-" + i + ".log"));
                out.append("--- node ").append(i).append(" ---\n");
                lines.subList(Math.max(0, lines.size() - 10), lines.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("(no log of node ").append(i).append(")\n");
            }
        }
        return out.toString();
    }
}
