package io.latchkey.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes sent to followers: each follower passes them to the leader and answers with the
 * leader's answer (successes, refusals, and a lock acquire that waits in the queue).
 */
@Tag("cluster")
class FollowerWriteProcessTest extends ProcessClusterTest {
    private static final Duration ELECTION_WAIT = Duration.ofSeconds(90);
    private static final Pattern TOKEN = Pattern.compile("\"token\":(\\d+)");

    @Test
    void followersPassWritesToTheLeaderAndRelayItsAnswers() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(ELECTION_WAIT);
        var followers = cluster.nodes.stream().filter(n -> n != leader).toList();
        ProcessCluster.NodeProcess a = followers.get(0);
        ProcessCluster.NodeProcess b = followers.get(1);

        ProcessCluster.Reply put = a.callRetrying("PUT", "/v1/config/app/url", "jdbc:x", "text/plain");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.body()).contains("\"key\":\"app/url\"", "\"version\":1");
        ProcessCluster.Reply read = leader.call("GET", "/v1/config/app/url?consistency=linearizable", null, null);
        assertThat(read.body()).contains("\"value\":\"jdbc:x\"");

        ProcessCluster.Reply refused = b.callRetrying("PUT", "/v1/config/app/url?expectedRevision=0", "y", "text/plain");
        assertThat(refused.status()).isEqualTo(412);
        assertThat(refused.body()).contains("\"field\":\"expectedRevision\"");
        assertThat(b.callRetrying("POST", "/v1/leases", "ttlSeconds=5", "text/plain").status()).isEqualTo(415);
        ProcessCluster.Reply lease = b.callRetrying("POST", "/v1/leases", "{\"ttlSeconds\":30}", "application/json");
        assertThat(lease.status()).as(lease.body()).isEqualTo(201);

        // A waiting acquire sent to one follower is granted when a release sent to the other commits.
        ProcessCluster.Reply held = a.callRetrying("POST", "/v1/locks/job", "{\"ttlSeconds\":30}", "application/json");
        assertThat(held.status()).as(held.body()).isEqualTo(200);
        long token = token(held.body());
        CompletableFuture<ProcessCluster.Reply> waiting = CompletableFuture.supplyAsync(() -> b.callRetrying("POST", "/v1/locks/job",
                "{\"ttlSeconds\":30,\"waitMillis\":15000,\"owner\":\"second\"}", "application/json"));
        cluster.await(Duration.ofSeconds(10), "the second acquire to wait in the queue",
                () -> String.valueOf(leader.get("/v1/locks/job")).contains("\"owner\":\"second\""));
        assertThat(a.callRetrying("DELETE", "/v1/locks/job?token=" + token, null, null).status()).isEqualTo(204);
        ProcessCluster.Reply granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(granted.body()).contains("\"owner\":\"second\"");
        assertThat(token(granted.body())).isGreaterThan(token);
    }

    private static long token(String json) {
        Matcher m = TOKEN.matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return Long.parseLong(m.group(1));
    }
}
