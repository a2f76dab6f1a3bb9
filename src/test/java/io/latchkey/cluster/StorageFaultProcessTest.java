package io.latchkey.cluster;

import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's node (a process on its embedded PostgreSQL) when its database misbehaves: a
 * hung PostgreSQL (SIGSTOP) turns liveness down within a bounded time and a restart after it
 * resumes finds every acknowledged write; a database rolled back to an older copy, or emptied,
 * while node.identity survived makes the node refuse to start, saying what does not match.
 */
@Tag("cluster")
@Tag("storage")
class StorageFaultProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** 3 s statement, 8 s socket, 3 s login, 10 s of retries: liveness is down well within this. */
    private static final Duration LIVENESS_DOWN_MAX = Duration.ofSeconds(60);

    private final List<ProcessHandle> stoppedPostgres = new ArrayList<>();

    @AfterEach
    void resumePostgres() {
        signal(stoppedPostgres, "CONT");
    }

    @Test
    void hungPostgres_turnsLivenessDown_andARestartAfterItResumesKeepsEveryWrite() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode("-Dlatchkey.storage.io-timeout-seconds=3");
        for (int i = 0; i < 10; i++) {
            node.client().put("hang/k" + i, "v" + i);
        }
        // Raw HTTP for the health endpoints: probes, not part of the client's API.
        assertThat(node.call("GET", "/health/live", null, null).status()).isEqualTo(200);

        ProcessHandle postmaster = postmaster(node);
        stoppedPostgres.add(postmaster);
        postmaster.descendants().forEach(stoppedPostgres::add);
        signal(stoppedPostgres, "STOP");
        long stoppedAt = System.nanoTime();
        // A write in flight while PostgreSQL hangs; its outcome does not matter.
        Thread.ofVirtual().start(() -> {
            try {
                node.probe().put("hang/during", "x");
            } catch (LatchkeyException e) {
                // Unanswered while PostgreSQL hangs.
            }
        });
        cluster.await(LIVENESS_DOWN_MAX, "liveness to go down while PostgreSQL hangs",
                () -> node.call("GET", "/health/live", null, null).status() == 503);
        Duration downAfter = Duration.ofNanos(System.nanoTime() - stoppedAt);
        assertThat(node.call("GET", "/health/live", null, null).body()).contains("no longer acknowledges writes");
        assertThat(downAfter).isLessThan(LIVENESS_DOWN_MAX);

        // PostgreSQL resumes; the orchestrator restarts the node whose liveness failed.
        signal(stoppedPostgres, "CONT");
        stoppedPostgres.clear();
        node.stop();
        cluster.startAlone(node, WAIT);
        for (int i = 0; i < 10; i++) {
            assertThat(node.client().get("hang/k" + i).map(KeyValue::text)).hasValue("v" + i);
        }
        node.client().put("hang/after", "y");
        assertThat(node.call("GET", "/health/live", null, null).status()).isEqualTo(200);
    }

    @Test
    void aDatabaseRolledBackOrEmptied_underASurvivingIdentity_isRefusedSayingWhy() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode();
        node.client().put("roll/first", "1");
        node.stop();
        Path database = node.dataDir.resolve("postgres");
        Path olderCopy = root.resolve("older-postgres");
        copy(database, olderCopy);

        cluster.startAlone(node, WAIT);
        for (int i = 0; i < 10; i++) {
            node.client().put("roll/k" + i, "v" + i);
        }
        node.stop();

        // Rolled back: the older copy of the database under the same node.identity.
        delete(database);
        copy(olderCopy, database);
        node.start(List.of());
        String refusal = awaitStartRefused(node);
        assertThat(refusal).contains("is behind what this node recorded in node.progress").contains("rolled back");
        node.stop();

        // Emptied: a fresh database under the same node.identity.
        delete(database);
        node.start(List.of());
        assertThat(awaitStartRefused(node)).contains("holds no Latchkey node").contains("emptied or replaced");
    }

    private ProcessCluster.NodeProcess startReadmeNode(String... properties) throws Exception {
        cluster = new ProcessCluster(root, 1);
        cluster.peerSecret = null;
        cluster.commonProperties.addAll(List.of(properties));
        ProcessCluster.NodeProcess node = cluster.nodes.getFirst();
        cluster.startAlone(node, WAIT);
        return node;
    }

    /** The reason the started check gives once the node answered that it did not start. */
    private String awaitStartRefused(ProcessCluster.NodeProcess node) {
        String[] body = new String[1];
        cluster.await(WAIT, "the node to report that it did not start", () -> {
            ProcessCluster.Reply r = node.call("GET", "/health/started", null, null);
            body[0] = r.body();
            return r.status() == 503;
        });
        return body[0];
    }

    private static ProcessHandle postmaster(ProcessCluster.NodeProcess node) throws IOException {
        long pid = Long.parseLong(Files.readAllLines(node.dataDir.resolve("postgres").resolve("postmaster.pid")).getFirst().strip());
        return ProcessHandle.of(pid).orElseThrow();
    }

    private static void signal(List<ProcessHandle> processes, String name) {
        for (ProcessHandle p : processes) {
            try {
                new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start().waitFor();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(from.relativize(f).toString()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
