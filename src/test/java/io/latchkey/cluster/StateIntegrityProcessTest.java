package io.latchkey.cluster;

import com.google.protobuf.ByteString;
import io.latchkey.node.proto.ReplicaSnapshot;
import io.latchkey.state.proto.StateSnapshot;
import io.latchkey.storage.EmbeddedPostgresServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The corruption check across three processes: members that applied the same log agree on
 * their state hashes and raise no alarm; a follower restarted on a snapshot whose state was
 * changed behind its back (with a matching checksum, as a bug rather than a bad disk would
 * leave it) hashes differently, and the leader raises the alarm in its metric and health,
 * naming both members and the index. Under the alarm a node refuses every client write with a
 * 503 problem naming the mismatch, while reads and the backup snapshot go on.
 */
@Tag("cluster")
class StateIntegrityProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final Pattern AGREED = Pattern.compile("\"agreedIndex\":\"?(\\d+)");
    private static final Pattern CORRUPT = Pattern.compile("latchkey_state_corrupt\\{[^}]*} ([0-9.]+)");

    @Test
    void equalStatesRaiseNoAlarm_andAFollowerWithAChangedSnapshotRaisesItOnTheLeader_whichThenRefusesWrites() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.commonProperties.add("-Dlatchkey.raft.snapshot-entries=20");
        cluster.commonProperties.add("-Dlatchkey.state.hash-check-interval-entries=10");
        cluster.commonProperties.add("-Dlatchkey.state.hash-check-period-seconds=1");
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        ProcessCluster.NodeProcess follower = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        put(leader, "before", 30);
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(WAIT, "node " + n.index + " to agree with another member at index 20 or later",
                    () -> agreedIndex(n) >= 20);
            assertThat(integrity(n)).doesNotContain("alarm");
            assertThat(corrupt(n)).isEqualTo(0);
        }

        follower.stop();
        changeSnapshotState(follower);
        cluster.startStatic(follower);
        // Caught up from its own log before more is written: written earlier, the entries could
        // be compacted away on the leader, which would then send the follower a good snapshot.
        cluster.await(WAIT, "the restarted follower to be ready",
                () -> follower.call("GET", "/health/ready", null, null).status() == 200);
        // Writes make new hash indexes until the alarm is up; from then on they are refused.
        AtomicInteger written = new AtomicInteger();
        cluster.await(WAIT, "the leader to raise the alarm", () -> {
            leader.call("PUT", "/v1/config/app/after" + written.getAndIncrement(), "v", "application/octet-stream");
            return integrity(leader).contains("alarm");
        });
        assertThat(integrity(leader)).containsPattern("applied state differs at index \\d+: member %x has SHA-256 [0-9a-f]{64}, "
                .formatted(leader.id) + "member %x has [0-9a-f]{64}".formatted(follower.id));
        cluster.await(WAIT, "the leader's metric", () -> corrupt(leader) == 1);

        cluster.await(WAIT, "the follower to raise the alarm too", () -> integrity(follower).contains("alarm"));
        for (ProcessCluster.NodeProcess n : List.of(leader, follower)) {
            assertRefusedUnderAlarm(n, n.call("PUT", "/v1/config/app/refused", "x", "application/octet-stream"));
            assertRefusedUnderAlarm(n, n.call("DELETE", "/v1/config/app/before0", null, null));
            assertRefusedUnderAlarm(n, n.call("POST", "/v1/leases", "{\"ttlSeconds\":30}", "application/json"));
            assertRefusedUnderAlarm(n, n.call("POST", "/v1/locks/job", "{\"ttlSeconds\":30}", "application/json"));
        }
        ProcessCluster.Reply read = leader.call("GET", "/v1/config/app/before1", null, null);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("app/before1");
        assertThat(leader.call("GET", "/v1/config/app/refused", null, null).status()).isEqualTo(404);
        ProcessCluster.Reply local = follower.call("GET", "/v1/config/app/before2?consistency=serializable", null, null);
        assertThat(local.status()).as(local.body()).isEqualTo(200);
        assertThat(leader.call("GET", "/v1/maintenance/snapshot", null, null).status()).isEqualTo(200);
    }

    private static void assertRefusedUnderAlarm(ProcessCluster.NodeProcess node, ProcessCluster.Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(503);
        assertThat(reply.body())
                .contains("\"title\":\"State corruption alarm raised\"")
                .containsPattern("applied state differs at index \\d+: member %x has SHA-256".formatted(node.id))
                .contains("refuses writes until the alarm clears")
                .doesNotContain("Exception");
    }

    private static void put(ProcessCluster.NodeProcess node, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            node.client().put("app/" + prefix + i, "v" + i);
        }
    }

    /**
     * Changes the value of the first key in the stopped node's stored snapshot, storing the
     * snapshot back with the CRC-32C of its new bytes, so that only the state comparison can tell.
     */
    private static void changeSnapshotState(ProcessCluster.NodeProcess node) throws Exception {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(node.dataDir);
             Connection c = DriverManager.getConnection(postgres.jdbcUrl());
             Statement s = c.createStatement()) {
            s.execute("SET search_path TO latchkey");
            ByteArrayOutputStream stored = new ByteArrayOutputStream();
            try (ResultSet rs = s.executeQuery("SELECT data FROM snapshot_chunk ORDER BY seq")) {
                while (rs.next()) {
                    stored.writeBytes(rs.getBytes(1));
                }
            }
            assertThat(stored.size()).as("the follower took a snapshot").isPositive();
            ReplicaSnapshot snapshot = ReplicaSnapshot.parseFrom(stored.toByteArray());
            StateSnapshot state = StateSnapshot.parseFrom(snapshot.getState());
            StateSnapshot changed = state.toBuilder()
                    .setKeys(0, state.getKeys(0).toBuilder().setValue(ByteString.copyFromUtf8("changed behind its back")))
                    .build();
            byte[] data = snapshot.toBuilder().setState(changed.toByteString()).build().toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(data);
            s.executeUpdate("DELETE FROM snapshot_chunk WHERE seq > 0");
            try (PreparedStatement update = c.prepareStatement("UPDATE snapshot_chunk SET data = ?, crc32c = ? WHERE seq = 0")) {
                update.setBytes(1, data);
                update.setInt(2, (int) crc.getValue());
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
            try (PreparedStatement update = c.prepareStatement("UPDATE snapshot SET data_size_bytes = ?, chunk_count = 1")) {
                update.setLong(1, data.length);
                update.executeUpdate();
            }
        }
    }

    private static String integrity(ProcessCluster.NodeProcess node) {
        String body = node.call("GET", "/health/live", null, null).body();
        int at = body.indexOf("latchkey-state-integrity");
        return at < 0 ? "" : body.substring(at, body.indexOf('}', at));
    }

    private static long agreedIndex(ProcessCluster.NodeProcess node) {
        Matcher m = AGREED.matcher(integrity(node));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long corrupt(ProcessCluster.NodeProcess node) {
        ProcessCluster.Reply reply = node.call("GET", "/metrics?scope=application", null, null);
        String metrics = reply.status() == 200 ? reply.body() : null;
        Matcher m = metrics == null ? null : CORRUPT.matcher(metrics);
        return m != null && m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }
}
