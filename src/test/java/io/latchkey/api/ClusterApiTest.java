package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster endpoints, health, metrics and the served OpenAPI document of a single node. */
@HelidonTest
@Tag("api")
class ClusterApiTest extends ApiTestBase {

    @Test
    void aSingleNodeLeadsItsOwnCluster() {
        JsonNode cluster = assertStatus(api.get("/v1/cluster").send(), 200).json();
        String node = cluster.path("nodeId").asText();
        assertThat(node).matches("[0-9a-f]{1,16}");
        assertThat(cluster.path("clusterId").asText()).matches("[0-9a-f]{1,16}");
        assertThat(cluster.path("leaderId").asText()).isEqualTo(node);
        assertThat(cluster.path("term").asLong()).isPositive();
        assertThat(cluster.path("commitIndex").asLong()).isGreaterThanOrEqualTo(cluster.path("appliedIndex").asLong() - 0);
        assertThat(cluster.path("members")).hasSize(1);
        JsonNode self = cluster.path("members").get(0);
        assertThat(self.path("id").asText()).isEqualTo(node);
        assertThat(self.path("role").asText()).isEqualTo("voter");
        assertThat(self.path("peerUrl").asText()).startsWith("http://");
    }

    @Test
    void aLearnerCanBeAddedAndRemoved() {
        JsonNode added = assertStatus(api.post("/v1/cluster/members")
                .json(Api.object("name", "spare", "peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:2/")).send(), 201).json();
        String id = added.path("id").asText();
        assertThat(added.path("clusterId").asText()).isEqualTo(api.get("/v1/cluster").send().json().path("clusterId").asText());
        JsonNode learner = member(id);
        assertThat(learner.path("role").asText()).isEqualTo("learner");
        assertThat(learner.path("name").asText()).isEqualTo("spare");
        assertThat(learner.path("clientUrl").asText()).isEqualTo("http://127.0.0.1:2");

        // It never caught up (nothing runs there), so it is not promoted.
        assertProblem(api.post("/v1/cluster/members/" + id + "/promote").send(), 409, null);
        assertStatus(api.delete("/v1/cluster/members/" + id).send(), 204);
        Api.awaitCondition(Duration.ofSeconds(10), "the learner is gone", () -> member(id) == null);
    }

    @Test
    void aRetriedAddGetsTheSameLearner_andAnotherAddOfAMembersPeerUrlIs409() {
        String peerUrl = "http://" + Api.unique("twice") + ":7080";
        JsonNode request = Api.object("peerUrl", peerUrl, "clientUrl", "http://127.0.0.1:2");
        String id = assertStatus(api.post("/v1/cluster/members").json(request).send(), 201).json().path("id").asText();
        assertThat(assertStatus(api.post("/v1/cluster/members").json(request).send(), 200).json().path("id").asText())
                .as("a retried add").isEqualTo(id);
        assertProblem(api.post("/v1/cluster/members").json(Api.object("peerUrl", peerUrl, "clientUrl", "http://127.0.0.1:3")).send(),
                409, null);
        // The node itself (members are listed by id, so the learner above may come first).
        JsonNode cluster = api.get("/v1/cluster").send().json();
        String self = null;
        for (JsonNode m : cluster.path("members")) {
            if (m.path("id").asText().equals(cluster.path("nodeId").asText())) {
                self = m.path("peerUrl").asText();
            }
        }
        assertThat(self).as("the node's own member record").isNotNull();
        assertProblem(api.post("/v1/cluster/members").json(Api.object("peerUrl", self, "clientUrl", "http://127.0.0.1:2")).send(),
                409, null);
        assertThat(api.get("/v1/cluster").send().json().path("members").findValuesAsText("peerUrl"))
                .filteredOn(peerUrl::equals).hasSize(1);
        assertStatus(api.delete("/v1/cluster/members/" + id).send(), 204);
    }

    @Test
    void theLastVoterCannotBeRemovedAndLeadershipCanBeAskedFor() {
        String self = api.get("/v1/cluster").send().json().path("nodeId").asText();
        assertProblem(api.delete("/v1/cluster/members/" + self).send(), 409, null);
        assertStatus(api.post("/v1/cluster/leader").json(Api.object("id", self)).send(), 202);
    }

    @Test
    void membershipErrorsNameTheField() {
        assertProblem(api.post("/v1/cluster/members").json(Api.object("clientUrl", "http://a:1")).send(), 400, "peerUrl");
        JsonNode unknown = assertProblem(api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://a:7080", "clientUrl", "http://a:1", "nmae", "x")).send(), 400, "nmae");
        assertThat(unknown.path("detail").asText()).contains("nmae");
        assertProblem(api.post("/v1/cluster/members").json(Api.object("peerUrl", "ftp://a", "clientUrl", "http://a:1")).send(), 400, "peerUrl");
        assertProblem(api.post("/v1/cluster/members").json(Api.object("peerUrl", "http://a:1")).send(), 400, "clientUrl");
        assertProblem(api.post("/v1/cluster/members").json("{").send(), 400, "body");
        assertProblem(api.post("/v1/cluster/members").send(), 400, "body");
        assertProblem(api.post("/v1/cluster/members/xyz/promote").send(), 400, "id");
        assertProblem(api.delete("/v1/cluster/members/0").send(), 400, "id");
        assertProblem(api.post("/v1/cluster/leader").json("{}").send(), 400, "id");
        assertProblem(api.post("/v1/cluster/leader").json(Api.object("id", "not-hex")).send(), 400, "id");
        assertProblem(api.post("/v1/cluster/members/abc/promote").send(), 404, null);
        assertProblem(api.delete("/v1/cluster/members/abc").send(), 404, null);
        assertProblem(api.post("/v1/cluster/leader").json(Api.object("id", "abc")).send(), 404, null);
    }

    @Test
    void healthEndpointsAreUp() {
        for (String path : new String[] {"/health", "/health/live", "/health/ready", "/health/started"}) {
            Api.Reply reply = assertStatus(api.get(path).send(), 200);
            assertThat(reply.contentType()).startsWith("application/json");
            assertThat(reply.json().path("status").asText()).as(path).isEqualTo("UP");
        }
        JsonNode ready = api.get("/health/ready").send().json().path("checks").get(0);
        assertThat(ready.path("name").asText()).isEqualTo("latchkey-ready");
    }

    @Test
    void metricsExposeTheNodesRaftLockLeaseAndStorageMeasures() {
        String lock = Api.unique("metrics-lock");
        assertStatus(api.post("/v1/locks/" + lock).json(Api.object("ttlSeconds", 30)).send(), 200);
        assertStatus(api.put("/v1/config/" + Api.unique("metrics-key")).text("v").send(), 200);

        String metrics = assertStatus(api.get("/metrics").header("Accept", "text/plain").send(), 200).text();
        assertThat(metrics).contains(
                "latchkey_raft_term", "latchkey_raft_commit_index", "latchkey_raft_applied_index", "latchkey_raft_apply_lag",
                "latchkey_raft_leader_changes_total", "latchkey_raft_proposals_total", "latchkey_lock_grants_total",
                "latchkey_lock_waits_total", "latchkey_locks_held", "latchkey_leases", "latchkey_lease_expiries_total",
                "latchkey_storage_fsync_seconds_count");
        assertThat(metrics).as("per-method timers are off unless asked for").doesNotContain("REST_request_seconds");
        assertThat(value(metrics, "latchkey_raft_term")).isPositive();
        assertThat(value(metrics, "latchkey_raft_applied_index")).isPositive();
        assertThat(value(metrics, "latchkey_raft_proposals_total")).isGreaterThanOrEqualTo(2);
        assertThat(value(metrics, "latchkey_lock_grants_total")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "latchkey_locks_held")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "latchkey_leases")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "latchkey_storage_fsync_seconds_count")).isPositive();
    }

    @Test
    void theOpenApiDocumentIsServed() {
        Api.Reply yaml = assertStatus(api.get("/openapi").send(), 200);
        assertThat(yaml.text()).contains("openapi: 3.0.3", "/v1/config/{key}", "/v1/config/watch");
        JsonNode json = assertStatus(api.get("/openapi").header("Accept", "application/json").send(), 200).json();
        assertThat(json.path("paths").has("/v1/locks/{name}")).isTrue();
    }

    @Test
    void unknownPathsAre404() {
        assertThat(api.get("/v1/nothing-here").send().status()).isEqualTo(404);
    }

    private JsonNode member(String id) {
        for (JsonNode m : api.get("/v1/cluster").send().json().path("members")) {
            if (m.path("id").asText().equals(id)) {
                return m;
            }
        }
        return null;
    }

    /** The value of the application-scope series {@code name} in Prometheus text. */
    private static double value(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + name + " in\n" + metrics));
    }
}
