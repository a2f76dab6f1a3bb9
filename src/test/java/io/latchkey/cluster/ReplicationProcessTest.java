package io.latchkey.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Lock;
import io.latchkey.client.LockInfo;
import io.latchkey.client.Written;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Writes through a real three-process cluster: any node takes a write and every node applies
 * it; a killed leader loses nothing that was acknowledged; a restarted node catches up, from
 * the log or from a snapshot; a minority cannot commit; a lock held through a leader crash
 * passes to the next waiter only when its lease expires.
 */
@Tag("cluster")
class ReplicationProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** 60 values of this size make a state of about 2 MiB. */
    private static final int PADDING_BYTES = 32 * 1024;

    @Test
    void writesOnAnyNode_surviveTheLeadersCrash_andReachARestartedNodeBySnapshot() throws Exception {
        writesSurviveCrashAndCatchUp(false);
    }

    @Test
    void withAsyncStorageWrites_writesSurviveTheLeadersCrash_andReachARestartedNode() throws Exception {
        writesSurviveCrashAndCatchUp(true);
    }

    private void writesSurviveCrashAndCatchUp(boolean asyncStorageWrites) throws Exception {
        cluster = new ProcessCluster(root, 3);
        // Snapshot often, so that a node that missed many entries must be sent a snapshot.
        cluster.commonProperties.add("-Dlatchkey.raft.snapshot-entries=20");
        cluster.commonProperties.add("-Dlatchkey.raft.async-storage-writes=" + asyncStorageWrites);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        ProcessCluster.NodeProcess follower = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();

        // A write on a follower is applied everywhere.
        follower.client().put("app/first", "one");
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(WAIT, "node " + n.index + " to apply the first write",
                    () -> "one".equals(localValue(n, "app/first")));
        }

        // Kill the leader: the acknowledged write is still there under the new leader.
        leader.kill();
        ProcessCluster.NodeProcess second = cluster.awaitLeader(WAIT);
        assertThat(second.client().get("app/first").map(KeyValue::text)).hasValue("one");

        // While the old leader is down, write enough to compact the log past what it has, and
        // state larger than the snapshot's chunks in storage and on the wire and than what the
        // store hands raft inline: the snapshot is streamed, staged by the restarted node and
        // installed from its database.
        String padding = "x".repeat(PADDING_BYTES);
        for (int i = 0; i < 60; i++) {
            second.client().put("app/k" + i, "v" + i + padding);
        }
        // The new leader's metrics show, by peer, the sends to the dead node failing and the live one's round trips.
        ProcessCluster.NodeProcess live = cluster.nodes.stream().filter(n -> n != leader && n != second).findFirst().orElseThrow();
        cluster.await(WAIT, "the new leader to count failed sends to the dead node",
                () -> seriesSum(second.call("GET", "/metrics", null, null).body(), "latchkey_peer_send_failures_total", leader.id) > 0);
        String metrics = second.call("GET", "/metrics", null, null).body();
        assertThat(seriesSum(metrics, "latchkey_peer_round_trip_seconds_count", live.id)).as(metrics).isPositive();
        cluster.startStatic(leader);
        cluster.await(WAIT, "the restarted node to catch up", () -> ("v59" + padding).equals(localValue(leader, "app/k59")));
        assertThat(localValue(leader, "app/first")).isEqualTo("one");
    }

    @Test
    void aMinority_cannotCommit_untilTheMajorityIsBack() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        var others = cluster.nodes.stream().filter(n -> n != leader).toList();
        others.forEach(ProcessCluster.NodeProcess::pause);
        // One attempt, so that the answer is the node's, not the last of a client's retries.
        try (LatchkeyClient once = leader.clientBuilder().retryTimeout(Duration.ZERO).requestTimeout(Duration.ofSeconds(20)).build()) {
            assertThatThrownBy(() -> once.put("minority", "x")).as("a write with only a minority up must not be acknowledged")
                    .isInstanceOfSatisfying(LatchkeyException.class, e -> assertThat(e.status()).as(e.getMessage()).isIn(503, 504));
        } finally {
            others.forEach(ProcessCluster.NodeProcess::resume);
        }
        ProcessCluster.NodeProcess now = cluster.awaitLeader(WAIT);
        assertThat(now.client().put("majority", "y").version()).isEqualTo(1);
    }

    @Test
    void aLockHeldThroughALeaderCrash_passesToTheNextWaiter_onlyAfterItsLeaseExpires() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        var others = cluster.nodes.stream().filter(n -> n != leader).toList();
        ProcessCluster.NodeProcess a = others.get(0);
        ProcessCluster.NodeProcess c = others.get(1);

        // a holds the lock through a 3 s lease, then its client goes away (as a crashed holder
        // does): nobody keeps the lease alive any more.
        long firstToken;
        try (LatchkeyClient holder = a.clientBuilder().retryTimeout(WAIT).lockTtl(Duration.ofSeconds(3)).owner("a").build()) {
            firstToken = holder.lock("db").acquire().token();
        }
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(WAIT, "node " + n.index + " to see the holder", () -> "a".equals(localLock(n).owner()));
        }

        // The next waiter queues on node c (its request is forwarded to the leader). When the
        // leader dies under its request (504), the client asks again with the same
        // Idempotency-Key: the new leader answers for the same place in the queue instead of
        // queueing anew.
        LatchkeyClient waiterClient = c.clientBuilder().retryTimeout(Duration.ofSeconds(150)).lockTtl(Duration.ofSeconds(30))
                .owner("c").build();
        try (waiterClient; Lock next = waiterClient.lock("db")) {
            CompletableFuture<Boolean> granted = CompletableFuture.supplyAsync(() -> next.tryAcquire(Duration.ofSeconds(60)));
            LockInfo[] queued = new LockInfo[1];
            cluster.await(WAIT, "c to be queued", () -> {
                queued[0] = localLock(c);
                return queued[0] != null && queued[0].waiters().stream().anyMatch(w -> "c".equals(w.owner()));
            });
            long waiterLease = queued[0].waiters().getFirst().leaseId();

            // The leader dies; nobody keeps a's lease alive, so after a new leader renews it for a
            // full TTL it expires, and only then is the queued waiter granted, with a higher token.
            leader.kill();
            assertThat(granted.get(160, TimeUnit.SECONDS)).as("the waiter is granted").isTrue();
            assertThat(next.lease().id()).as("the waiter queued before the crash").isEqualTo(waiterLease);
            assertThat(next.token()).isGreaterThan(firstToken);
            assertThat(c.client().lockInfo("db").orElseThrow().owner()).isEqualTo("c");
        }
    }

    /** The key as node {@code n} has applied it (a serializable read), or null. */
    private static String localValue(ProcessCluster.NodeProcess n, String key) {
        try {
            return n.probe().get(key, "serializable").map(KeyValue::text).orElse(null);
        } catch (LatchkeyException e) {
            return null;
        }
    }

    /** The lock as node {@code n} has applied it (a serializable read), or null if free or unreadable. */
    private static LockInfo localLock(ProcessCluster.NodeProcess n) {
        try {
            return n.probe().lockInfo("db", "serializable").orElse(null);
        } catch (LatchkeyException e) {
            return null;
        }
    }

    /** The sum of {@code name}'s series for peer {@code peerId} in Prometheus text (0 when there are none). */
    private static double seriesSum(String metrics, String name, long peerId) {
        if (metrics == null) {
            return 0;
        }
        String peer = "peer=\"" + Long.toHexString(peerId) + "\"";
        return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains(peer))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
