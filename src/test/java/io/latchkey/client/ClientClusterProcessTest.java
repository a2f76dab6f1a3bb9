package io.latchkey.client;

import io.latchkey.cluster.ProcessCluster;
import io.latchkey.cluster.ProcessCluster.NodeProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client against a cluster of three real node processes: locks stay exclusive while the
 * leader is killed, a lease the client cannot renew is reported lost, and a watch resumes
 * across the restart of the node it was reading from without losing or repeating an event.
 */
@Tag("cluster")
@Tag("client")
class ClientClusterProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(180);
    @TempDir
    Path root;
    private ProcessCluster cluster;
    private final List<LatchkeyClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        clients.forEach(LatchkeyClient::close);
        if (cluster != null) {
            for (NodeProcess n : cluster.nodes) {
                if (n.alive()) {
                    n.resume();
                }
            }
            cluster.close();
        }
    }

    private NodeProcess startCluster() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        return cluster.awaitLeader(WAIT);
    }

    /** A client of the given nodes, tried in that order. */
    private LatchkeyClient client(Duration lockTtl, NodeProcess... nodes) {
        LatchkeyClient c = LatchkeyClient.builder()
                .endpoints(Stream.of(nodes).map(NodeProcess::clientUrl).toArray(String[]::new))
                .retryTimeout(WAIT).lockTtl(lockTtl).build();
        clients.add(c);
        return c;
    }

    private List<NodeProcess> rotated(int by) {
        List<NodeProcess> all = new ArrayList<>(cluster.nodes);
        java.util.Collections.rotate(all, by);
        return all;
    }

    @Test
    void lockStaysExclusiveWhileTheLeaderIsKilled() throws Exception {
        NodeProcess leader = startCluster();
        record Increment(long token, long revision) {
        }
        List<Increment> increments = new CopyOnWriteArrayList<>();
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger holders = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        client(Duration.ofSeconds(10), cluster.nodes.toArray(NodeProcess[]::new)).put("counter", "0");

        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            LatchkeyClient c = client(Duration.ofSeconds(10), rotated(w).toArray(NodeProcess[]::new));
            workers.add(Thread.ofPlatform().name("worker-" + w).start(() -> {
                while (running.get()) {
                    try (Lock lock = c.lock("jobs/exclusive").acquire()) {
                        if (holders.incrementAndGet() != 1) {
                            violations.add("two holders at token " + lock.token());
                        }
                        KeyValue counter = c.get("counter").orElseThrow();
                        long next = Long.parseLong(counter.text()) + 1;
                        Written written = c.put("counter", Long.toString(next),
                                WriteOptions.none().fence(lock.fence()).expectRevision(counter.modRevision()));
                        increments.add(new Increment(lock.token(), written.revision()));
                        holders.decrementAndGet();
                    } catch (LatchkeyException e) {
                        holders.set(0);
                        if (running.get()) {
                            violations.add(Thread.currentThread().getName() + ": " + e);
                        }
                    }
                }
            }));
        }
        cluster.await(WAIT, "10 increments before the fault", () -> increments.size() >= 10);
        leader.kill();
        int atKill = increments.size();
        cluster.await(WAIT, "10 increments after the leader's death", () -> increments.size() >= atKill + 10);
        running.set(false);
        for (Thread t : workers) {
            t.join(WAIT.toMillis());
        }

        assertThat(violations).isEmpty();
        LatchkeyClient reader = client(Duration.ofSeconds(10), cluster.nodes.stream().filter(NodeProcess::alive)
                .toArray(NodeProcess[]::new));
        assertThat(Long.parseLong(reader.get("counter").orElseThrow().text())).isEqualTo(increments.size());
        List<Increment> applied = increments.stream().sorted(Comparator.comparingLong(Increment::revision)).toList();
        for (int i = 1; i < applied.size(); i++) {
            assertThat(applied.get(i).token()).as("tokens grow in the order the writes were applied")
                    .isGreaterThan(applied.get(i - 1).token());
        }
    }

    @Test
    void aLeaseTheClientCannotRenewIsReportedLost() throws Exception {
        startCluster();
        LatchkeyClient c = client(Duration.ofSeconds(10), cluster.nodes.toArray(NodeProcess[]::new));
        Lease lease = c.grantLease(Duration.ofSeconds(2));
        Lock lock = c.lock("jobs/leased", lease);
        assertThat(lock.tryAcquire()).isTrue();
        List<LatchkeyException> lost = new CopyOnWriteArrayList<>();
        lock.onLoss((l, reason) -> lost.add(reason));

        // The whole cluster stalls (as for a client cut off from it): no keep-alive is confirmed.
        cluster.nodes.forEach(NodeProcess::pause);
        cluster.await(Duration.ofSeconds(10), "the loss to be reported", () -> !lost.isEmpty());
        assertThat(lost).hasSize(1);
        assertThat(lease.isAlive()).isFalse();
        assertThat(lock.isHeld()).isFalse();
        cluster.nodes.forEach(NodeProcess::resume);

        // The cluster agrees: the lease expires and the lock is free for someone else.
        LatchkeyClient other = client(Duration.ofSeconds(10), cluster.nodes.toArray(NodeProcess[]::new));
        cluster.await(WAIT, "the lease to expire in the cluster", () -> other.lease(lease.id()).isEmpty());
        try (Lock next = other.lock("jobs/leased")) {
            assertThat(next.tryAcquire(Duration.ofSeconds(10))).isTrue();
        }
        lock.close(); // releasing a lost lock is a no-op
    }

    @Test
    void aWatchResumesAcrossTheRestartOfItsNodeWithoutLossOrRepeats() throws Exception {
        NodeProcess leader = startCluster();
        NodeProcess watched = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        List<NodeProcess> others = cluster.nodes.stream().filter(n -> n != watched).toList();
        LatchkeyClient writer = client(Duration.ofSeconds(10), others.toArray(NodeProcess[]::new));
        LatchkeyClient watcher = client(Duration.ofSeconds(10), Stream.concat(Stream.of(watched), others.stream())
                .toArray(NodeProcess[]::new));
        List<Long> seen = new CopyOnWriteArrayList<>();
        List<Long> written = new ArrayList<>();
        try (Watch w = watcher.watch("w/", 0, e -> seen.add(e.modRevision()))) {
            for (int i = 0; i < 20; i++) {
                written.add(writer.put("w/" + i, "v" + i).revision());
            }
            cluster.await(WAIT, "the first events", () -> seen.size() >= 20);
            watched.kill();
            for (int i = 20; i < 40; i++) {
                written.add(writer.put("w/" + (i % 7), "v" + i).revision());
            }
            cluster.startStatic(watched);
            for (int i = 40; i < 60; i++) {
                written.add(writer.put("w/" + i, "v" + i).revision());
                writer.put("elsewhere", "v" + i);
            }
            cluster.await(WAIT, "every event", () -> seen.size() >= written.size());
            // Still streaming: a later change arrives once too.
            written.add(writer.put("w/last", "x").revision());
            cluster.await(WAIT, "the last event", () -> seen.size() >= written.size());
        }
        assertThat(seen).containsExactlyElementsOf(written);
    }
}
