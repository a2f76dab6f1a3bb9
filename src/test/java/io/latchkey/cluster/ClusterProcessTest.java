package io.latchkey.cluster;

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

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> added = http.send(HttpRequest.newBuilder(URI.create(leader.clientUrl() + "/v1/cluster/members"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"n4\",\"peerUrl\":\"" + joiner.peerUrl()
                        + "\",\"clientUrl\":\"" + joiner.clientUrl() + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        String id = field(added.body(), "id");
        String clusterId = field(added.body(), "clusterId");

        joiner.start(List.of("-Dlatchkey.node-id=" + id, "-Dlatchkey.cluster.id=" + clusterId));
        cluster.await(ELECTION_WAIT, "the learner to know the leader", () -> joiner.leader() == leader.id);
        assertThat(leader.cluster()).contains("\"id\":\"" + id + "\",\"name\":\"n4\"").contains("\"role\":\"learner\"");

        cluster.await(ELECTION_WAIT, "the learner to be promoted", () -> post(http, leader.clientUrl()
                + "/v1/cluster/members/" + id + "/promote") == 204);
        assertThat(leader.cluster()).doesNotContain("\"role\":\"learner\"");

        HttpResponse<String> removed = http.send(HttpRequest.newBuilder(URI.create(leader.clientUrl()
                + "/v1/cluster/members/" + id)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(204);
        cluster.await(Duration.ofSeconds(30), "the removal to reach node 1",
                () -> !cluster.nodes.get(0).cluster().contains("\"id\":\"" + id + "\""));
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
