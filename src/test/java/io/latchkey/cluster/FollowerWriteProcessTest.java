package io.latchkey.cluster;

import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Lock;
import io.latchkey.client.WriteOptions;
import io.latchkey.client.Written;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Writes sent to followers: each follower passes them to the leader and answers with the
 * leader's answer (successes, refusals, and a lock acquire that waits in the queue).
 */
@Tag("cluster")
class FollowerWriteProcessTest extends ProcessClusterTest {
    private static final Duration ELECTION_WAIT = Duration.ofSeconds(90);

    @Test
    void followersPassWritesToTheLeaderAndRelayItsAnswers() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(ELECTION_WAIT);
        var followers = cluster.nodes.stream().filter(n -> n != leader).toList();
        ProcessCluster.NodeProcess a = followers.get(0);
        ProcessCluster.NodeProcess b = followers.get(1);

        Written put = a.client().put("app/url", "jdbc:x");
        assertThat(put.key()).isEqualTo("app/url");
        assertThat(put.version()).isEqualTo(1);
        assertThat(leader.client().get("app/url").orElseThrow().text()).isEqualTo("jdbc:x");

        assertThatThrownBy(() -> b.client().put("app/url", "y", WriteOptions.none().expectRevision(0)))
                .isInstanceOfSatisfying(LatchkeyException.class, e -> {
                    assertThat(e.isPreconditionFailed()).as(e.getMessage()).isTrue();
                    assertThat(e.field()).isEqualTo("expectedRevision");
                });
        // Raw HTTP: the media type refusal is about HTTP itself.
        assertThat(b.call("POST", "/v1/leases", "ttlSeconds=5", "text/plain").status()).isEqualTo(415);
        assertThat(b.client().grantLease(Duration.ofSeconds(30)).ttl()).isEqualTo(Duration.ofSeconds(30));

        // A waiting acquire sent to one follower is granted when a release sent to the other commits.
        try (LatchkeyClient second = b.clientBuilder().retryTimeout(Duration.ofSeconds(30)).owner("second").build();
             Lock held = a.client().lock("job").acquire();
             Lock waiting = second.lock("job")) {
            long token = held.token();
            CompletableFuture<Boolean> granted = CompletableFuture.supplyAsync(() -> waiting.tryAcquire(Duration.ofSeconds(15)));
            cluster.await(Duration.ofSeconds(10), "the second acquire to wait in the queue", () -> leader.client().lockInfo("job")
                    .map(l -> l.waiters().stream().anyMatch(w -> "second".equals(w.owner()))).orElse(false));
            held.release();
            assertThat(granted.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(leader.client().lockInfo("job").orElseThrow().owner()).isEqualTo("second");
            assertThat(waiting.token()).isGreaterThan(token);
        }
    }
}
