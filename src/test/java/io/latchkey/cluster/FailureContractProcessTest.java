package io.latchkey.cluster;

import io.latchkey.api.contract.ContractClient;
import io.latchkey.api.contract.ContractRequests;
import io.latchkey.api.contract.ContractRequests.Request;
import io.latchkey.api.contract.OpenApiDocument;
import io.latchkey.client.ClusterInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The answers that only a cluster of real processes can give, held to openapi/openapi.yaml:
 * writes passed on by a follower, 307 from a follower for leader-only requests, 504 from a
 * leader that lost its quorum with requests in flight and from a follower whose leader died,
 * and 503 with Retry-After from a node that knows no leader. Raw HTTP (ContractClient): the
 * answers themselves are checked, which the Java client would retry or follow.
 */
@Tag("cluster")
@Tag("api")
class FailureContractProcessTest extends ProcessClusterTest {
    /** Three JVMs, each with its own PostgreSQL, take a while to start on a busy machine. */
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final String JSON = "application/json";
    /**
     * 40 ticks of 50 ms: a leader cut off from its followers steps down (CheckQuorum) and a
     * follower cut off from its leader campaigns only after 2 s or more, so requests sent right
     * after the fault are still in flight, or still passed on, when it takes effect.
     */
    private static final String ELECTION_TICKS = "-Dlatchkey.raft.election-ticks=40";

    /** Paused nodes are let go first, so that stopping them is quick (runs before the cluster is closed). */
    @AfterEach
    void resumePausedNodes() {
        if (cluster != null) {
            for (ProcessCluster.NodeProcess n : cluster.nodes) {
                if (n.alive()) {
                    n.resume();
                }
            }
        }
    }

    @Test
    void followersPassOnAndRedirect_aLeaderWithoutQuorumTimesOut_andNoLeaderIs503() throws Exception {
        OpenApiDocument doc = OpenApiDocument.load();
        cluster = new ProcessCluster(root, 3);
        cluster.commonProperties.add(ELECTION_TICKS);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        List<ProcessCluster.NodeProcess> followers = cluster.nodes.stream().filter(n -> n != leader).toList();
        ContractClient onLeader = new ContractClient(doc, leader.clientUrl());
        ContractClient onFollower = new ContractClient(doc, followers.get(0).clientUrl());
        awaitWritable(leader, onLeader);

        // A follower passes writes on to the leader and relays its answers, headers included.
        onFollower.check(new Request("PUT", "/v1/config/relayed/key", "text/plain", "v"), 200);
        onFollower.check(new Request("PUT", "/v1/config/relayed/key?expectedRevision=0", "text/plain", "v"), 412);
        String lease = field(onFollower.check(new Request("POST", "/v1/leases", JSON, "{\"ttlSeconds\":60}"), 201), "id");
        onFollower.check(new Request("POST", "/v1/leases/" + lease + "/keepalive", null, null), 200);
        String token = field(onFollower.check(new Request("POST", "/v1/locks/relayed/lock", JSON,
                "{\"leaseId\":" + lease + "}"), 200), "token");
        onFollower.check(new Request("POST", "/v1/locks/relayed/lock", JSON, "{\"ttlSeconds\":5}"), 409);
        onFollower.check(new Request("DELETE", "/v1/locks/relayed/lock?token=" + token, null, null), 204);
        onFollower.check(new Request("DELETE", "/v1/leases/" + lease, null, null), 204);

        // Membership changes are the leader's: a follower answers 307 to the same request there.
        Map<String, Request> every = ContractRequests.everyV1Operation(doc, "contract/");
        for (Request r : ContractRequests.of(every, "POST /v1/cluster/members", "DELETE /v1/cluster/members/{id}",
                "POST /v1/cluster/members/{id}/promote", "POST /v1/cluster/leader")) {
            HttpResponse<byte[]> redirect = onFollower.check(r, 307);
            assertThat(redirect.headers().firstValue("Location")).hasValue(leader.clientUrl() + r.pathWithoutQuery());
        }

        // The leader loses both followers with requests in flight: it cannot commit or confirm
        // reads, and steps down, so their outcome is unknown (504).
        followers.forEach(ProcessCluster.NodeProcess::pause);
        onLeader.checkAllAtOnce(ContractRequests.of(every, "PUT /v1/config/{key}", "DELETE /v1/config/{key}",
                "GET /v1/config/{key}", "GET /v1/config", "GET /v1/config/watch", "POST /v1/locks/{name}",
                "DELETE /v1/locks/{name}", "GET /v1/locks/{name}", "GET /v1/locks", "POST /v1/leases",
                "GET /v1/leases/{id}", "DELETE /v1/leases/{id}", "POST /v1/leases/{id}/keepalive",
                "POST /v1/cluster/members"), 504);

        // Now it knows no leader: every request that needs one is 503 with Retry-After.
        cluster.await(WAIT, "the cut-off leader to know no leader", () -> leader.leader() == 0);
        for (Map.Entry<String, Request> e : every.entrySet()) {
            onLeader.check(e.getValue(), e.getKey().equals("GET /v1/cluster") ? 200 : 503);
        }
        onLeader.check(new Request("GET", "/health/ready", null, null), 503);
        onLeader.check(new Request("GET", "/health/live", null, null), 200);

        // Back to a quorum; then the leader dies, and a follower that still believes in it
        // cannot pass writes on: their outcome is unknown to it (504).
        followers.forEach(ProcessCluster.NodeProcess::resume);
        ProcessCluster.NodeProcess next = cluster.awaitLeader(WAIT);
        ProcessCluster.NodeProcess survivor = cluster.nodes.stream().filter(n -> n != next).findFirst().orElseThrow();
        ContractClient onNext = new ContractClient(doc, next.clientUrl());
        awaitWritable(next, onNext);
        next.kill();
        new ContractClient(doc, survivor.clientUrl()).checkAllAtOnce(ContractRequests.of(every, "PUT /v1/config/{key}",
                "DELETE /v1/config/{key}", "POST /v1/locks/{name}", "DELETE /v1/locks/{name}", "POST /v1/leases",
                "DELETE /v1/leases/{id}", "POST /v1/leases/{id}/keepalive"), 504);
    }

    /**
     * Waits until the leader takes writes and every node knows its client URL (a member
     * publishes it after it starts), so that followers can pass writes on.
     */
    private void awaitWritable(ProcessCluster.NodeProcess leader, ContractClient onLeader) {
        cluster.await(WAIT, "the leader to take writes",
                () -> onLeader.send(new Request("POST", "/v1/leases", JSON, "{\"ttlSeconds\":5}")).statusCode() == 201);
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            if (n.alive()) {
                cluster.await(WAIT, "node " + n.index + " to know the leader's client URL", () -> {
                    ClusterInfo view = n.cluster();
                    return view != null && view.members().stream().anyMatch(m -> leader.clientUrl().equals(m.clientUrl()));
                });
            }
        }
    }

    private static String field(HttpResponse<byte[]> answer, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":(\\d+)")
                .matcher(new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(m.find()).as("%s in the answer", name).isTrue();
        return m.group(1);
    }
}
