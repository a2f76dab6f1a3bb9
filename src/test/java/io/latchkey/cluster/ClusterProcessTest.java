package io.latchkey.cluster;

import io.latchkey.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Separate JVMs talking HTTP/2, each on its own embedded PostgreSQL: elections, failover,
 * restart, and membership changes through the API.
 */
@Tag("cluster")
class ClusterProcessTest extends ProcessClusterTest {
    private static final Duration ELECTION_WAIT = Duration.ofSeconds(90);

    @Test
    void threeProcesses_electOneLeader_andSurviveItsCrash() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess first = cluster.awaitLeader(ELECTION_WAIT);
        String view = cluster.nodes.get(0).cluster();
        assertThat(view).contains("\"role\":\"voter\"").contains("\"peerUrl\":\"" + cluster.nodes.get(2).peerUrl() + "\"");

        // SIGKILL the leader: the other two elect a new one within a few election timeouts.
        first.kill();
        ProcessCluster.NodeProcess second = cluster.awaitLeader(ELECTION_WAIT);
        assertThat(second.id).isNotEqualTo(first.id);

        // The killed node comes back on its data and follows the new leader.
        cluster.startStatic(first);
        cluster.await(ELECTION_WAIT, "the restarted node to follow " + second.id, () -> first.leader() == second.id);
    }

    @Test
    void aFourthProcess_joinsAsLearner_isPromoted_andRemoved() throws Exception {
        cluster = new ProcessCluster(root, 4);
        // Only the first three bootstrap the cluster; the fourth joins through the API.
        for (ProcessCluster.NodeProcess n : cluster.nodes.subList(0, 3)) {
            n.start(List.of("-Dlatchkey.node-id=" + Long.toHexString(n.id), "-Dlatchkey.cluster.peers=" + initialPeers()));
        }
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(ELECTION_WAIT);
        ProcessCluster.NodeProcess joiner = cluster.nodes.get(3);

        String id = addLearner(leader, joiner);
        String clusterId = field(leader.cluster(), "clusterId");

        joiner.start(List.of("-Dlatchkey.node-id=" + id, "-Dlatchkey.cluster.id=" + clusterId));
        cluster.await(ELECTION_WAIT, "the learner to know the leader", () -> joiner.leader() == leader.id);
        assertThat(leader.cluster()).contains("\"id\":\"" + id + "\",\"name\":\"n4\"").contains("\"role\":\"learner\"");

        assertThat(membersWithPeerUrl(leader.cluster(), joiner.peerUrl())).as("members at the joiner's peer URL").containsExactly(id);

        HttpClient http = HttpClient.newHttpClient();
        cluster.await(ELECTION_WAIT, "the learner to be promoted", () -> post(http, leader.clientUrl()
                + "/v1/cluster/members/" + id + "/promote") == 204);
        assertThat(leader.cluster()).doesNotContain("\"role\":\"learner\"");

        // Another change may still be unapplied (a member publishing its URLs): 503, retried.
        ProcessCluster.Reply removed = leader.callRetrying("DELETE", "/v1/cluster/members/" + id, null, null);
        assertThat(removed.status()).as(removed.body()).isEqualTo(204);
        cluster.await(Duration.ofSeconds(30), "the removal to reach node 1",
                () -> !cluster.nodes.get(0).cluster().contains("\"id\":\"" + id + "\""));
    }

    /**
     * Adds the joiner as a client without an idempotency key must: a 503 changed nothing (no
     * leader ready, another membership change not applied yet) and is sent again; after a 504
     * the change may still be applied, so the member list decides, and only a member that did
     * not appear is asked for again. The caller checks that exactly one member was added.
     */
    private String addLearner(ProcessCluster.NodeProcess leader, ProcessCluster.NodeProcess joiner) {
        String body = "{\"name\":\"n4\",\"peerUrl\":\"" + joiner.peerUrl() + "\",\"clientUrl\":\"" + joiner.clientUrl() + "\"}";
        long deadline = System.nanoTime() + ELECTION_WAIT.toNanos();
        while (true) {
            ProcessCluster.Reply added = leader.callRetrying("POST", "/v1/cluster/members", body, "application/json");
            if (added.status() == 201) {
                return field(added.body(), "id");
            }
            assertThat(added.status()).as(added.body()).isEqualTo(504);
            String[] appeared = {null};
            Await.within(Duration.ofSeconds(20), () -> {
                List<String> ids = membersWithPeerUrl(leader.cluster(), joiner.peerUrl());
                appeared[0] = ids.isEmpty() ? null : ids.getFirst();
                return appeared[0] != null;
            });
            if (appeared[0] != null) {
                return appeared[0];
            }
            assertThat(System.nanoTime() - deadline).as("time left to add the learner").isNegative();
        }
    }

    /** Ids of the members with {@code peerUrl} in a GET /v1/cluster answer. */
    private static List<String> membersWithPeerUrl(String clusterJson, String peerUrl) {
        if (clusterJson == null) {
            return List.of();
        }
        // JSON-B writes a member's properties in lexicographic order: clientUrl, id, name, peerUrl, role.
        return java.util.regex.Pattern.compile("\"id\":\"([0-9a-f]+)\",\"name\":\"[^\"]*\",\"peerUrl\":\""
                        + java.util.regex.Pattern.quote(peerUrl) + "\"")
                .matcher(clusterJson).results().map(m -> m.group(1)).toList();
    }

    private String initialPeers() {
        StringBuilder peers = new StringBuilder();
        for (ProcessCluster.NodeProcess p : cluster.nodes.subList(0, 3)) {
            peers.append(peers.isEmpty() ? "" : ",").append(Long.toHexString(p.id)).append('=').append(p.peerUrl());
        }
        return peers.toString();
    }

    private static int post(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String field(String json, String name) {
        var m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }
}
