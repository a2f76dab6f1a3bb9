package io.latchkey.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes through a real three-process cluster: any node takes a write and every node applies
 * it; a killed leader loses nothing that was acknowledged; a restarted node catches up, from
 * the log or from a snapshot; a minority cannot commit; a lock held through a leader crash
 * passes to the next waiter only when its lease expires.
 */
@Tag("cluster")
class ReplicationProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String TEXT = "text/plain";
    private static final String JSON = "application/json";
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
        assertThat(follower.callRetrying("PUT", "/v1/config/app/first", "one", TEXT).status()).isEqualTo(200);
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(WAIT, "node " + n.index + " to apply the first write",
                    () -> "one".equals(value(n.call("GET", "/v1/config/app/first?consistency=serializable", null, null))));
        }

        // Kill the leader: the acknowledged write is still there under the new leader.
        leader.kill();
        ProcessCluster.NodeProcess second = cluster.awaitLeader(WAIT);
        assertThat(value(second.call("GET", "/v1/config/app/first", null, null))).isEqualTo("one");

        // While the old leader is down, write enough to compact the log past what it has, and
        // state larger than the snapshot's chunks in storage and on the wire and than what the
        // store hands raft inline: the snapshot is streamed, staged by the restarted node and
        // installed from its database.
        String padding = "x".repeat(PADDING_BYTES);
        for (int i = 0; i < 60; i++) {
            ProcessCluster.Reply r = second.callRetrying("PUT", "/v1/config/app/k" + i, "v" + i + padding, TEXT);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        // The new leader's metrics show, by peer, the sends to the dead node failing and the live one's round trips.
        ProcessCluster.NodeProcess live = cluster.nodes.stream().filter(n -> n != leader && n != second).findFirst().orElseThrow();
        cluster.await(WAIT, "the new leader to count failed sends to the dead node",
                () -> seriesSum(second.get("/metrics"), "latchkey_peer_send_failures_total", leader.id) > 0);
        String metrics = second.get("/metrics");
        assertThat(seriesSum(metrics, "latchkey_peer_round_trip_seconds_count", live.id)).as(metrics).isPositive();
        cluster.startStatic(leader);
        cluster.await(WAIT, "the restarted node to catch up",
                () -> ("v59" + padding).equals(value(leader.call("GET", "/v1/config/app/k59?consistency=serializable", null, null))));
        assertThat(value(leader.call("GET", "/v1/config/app/first?consistency=serializable", null, null))).isEqualTo("one");
    }

    @Test
    void aMinority_cannotCommit_untilTheMajorityIsBack() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        var others = cluster.nodes.stream().filter(n -> n != leader).toList();
        others.forEach(ProcessCluster.NodeProcess::pause);
        try {
            ProcessCluster.Reply r = leader.call("PUT", "/v1/config/minority", "x", TEXT);
            assertThat(r.status()).as("a write with only a minority up must not be acknowledged: " + r.body())
                    .isIn(503, 504);
        } finally {
            others.forEach(ProcessCluster.NodeProcess::resume);
        }
        ProcessCluster.NodeProcess now = cluster.awaitLeader(WAIT);
        cluster.await(WAIT, "writes to work again", () -> now.call("PUT", "/v1/config/majority", "y", TEXT).status() == 200);
    }

    @Test
    void aLockHeldThroughALeaderCrash_passesToTheNextWaiter_onlyAfterItsLeaseExpires() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        var others = cluster.nodes.stream().filter(n -> n != leader).toList();
        ProcessCluster.NodeProcess a = others.get(0);
        ProcessCluster.NodeProcess c = others.get(1);

        ProcessCluster.Reply held = a.callRetrying("POST", "/v1/locks/db", "{\"ttlSeconds\":3,\"owner\":\"a\"}", JSON);
        assertThat(held.status()).as(held.body()).isEqualTo(200);
        long firstToken = number(held.body(), "token");
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(WAIT, "node " + n.index + " to see the holder",
                    () -> n.call("GET", "/v1/locks/db?consistency=serializable", null, null).body().contains("\"owner\":\"a\""));
        }

        // The next waiter queues on node c (its request is forwarded to the leader). It sends an
        // Idempotency-Key and, when the leader dies under its request (504), asks again with it:
        // the new leader answers for the same place in the queue instead of queueing anew.
        ProcessCluster.Reply[] second = new ProcessCluster.Reply[1];
        Thread waiter = Thread.ofVirtual().start(() -> second[0] = c.callIdempotent("POST", "/v1/locks/db",
                "{\"ttlSeconds\":30,\"owner\":\"c\",\"waitMillis\":60000}", JSON, "waiter-c",
                Duration.ofSeconds(70), Duration.ofSeconds(150)));
        String[] queued = new String[1];
        cluster.await(WAIT, "c to be queued", () -> {
            queued[0] = c.call("GET", "/v1/locks/db?consistency=serializable", null, null).body();
            return queued[0].contains("\"owner\":\"c\"");
        });
        Matcher waiterLease = Pattern.compile("\"waiters\":\\[\\{\"leaseId\":(\\d+)").matcher(queued[0]);
        assertThat(waiterLease.find()).as(queued[0]).isTrue();

        // The leader dies; nobody keeps a's lease alive, so after a new leader renews it for a
        // full TTL it expires, and only then is the queued waiter granted, with a higher token.
        leader.kill();
        waiter.join(Duration.ofSeconds(160));
        assertThat(second[0]).isNotNull();
        assertThat(second[0].status()).as(second[0].body()).isEqualTo(200);
        assertThat(second[0].body()).contains("\"owner\":\"c\"");
        assertThat(number(second[0].body(), "leaseId")).as("the waiter queued before the crash").isEqualTo(Long.parseLong(waiterLease.group(1)));
        assertThat(number(second[0].body(), "token")).isGreaterThan(firstToken);
    }

    private static String value(ProcessCluster.Reply reply) {
        if (reply.status() != 200) {
            return null;
        }
        Matcher m = Pattern.compile("\"value\":\"([^\"]*)\"").matcher(reply.body());
        return m.find() ? m.group(1) : null;
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as(field + " in " + json).isTrue();
        return Long.parseLong(m.group(1));
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
