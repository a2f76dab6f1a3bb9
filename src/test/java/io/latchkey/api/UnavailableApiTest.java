package io.latchkey.api;

import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static io.latchkey.api.ApiTestBase.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node that cannot start (here: a storage schema name that is not an SQL identifier) keeps
 * serving: the API answers 503 with Retry-After, and health says why.
 */
@HelidonTest
@AddConfig(key = "latchkey.storage.schema", value = "Not-An-Identifier")
@Tag("api")
class UnavailableApiTest {
    @Inject
    ServerCdiExtension server;

    @Test
    void everyRequestIs503WithRetryAfterAndHealthIsDown() {
        Api api = new Api(server.port());
        for (Api.Call call : new Api.Call[] {
                api.get("/v1/cluster"), api.get("/v1/config/k"), api.put("/v1/config/k").text("v"),
                api.post("/v1/leases").json(Api.object("ttlSeconds", 5)), api.get("/v1/locks"),
                api.delete("/v1/locks/l?token=1"), api.get("/v1/config/watch")}) {
            Api.Reply reply = call.once().send();
            assertProblem(reply, 503, null);
            assertThat(reply.header("Retry-After")).as("Retry-After of %s", reply).isEqualTo("1");
            assertThat(reply.json().path("detail").asText()).contains("latchkey.storage.schema");
        }
        for (String path : new String[] {"/health/live", "/health/ready", "/health/started"}) {
            Api.Reply health = api.get(path).once().send();
            assertThat(health.status()).as(path).isEqualTo(503);
            assertThat(health.json().path("status").asText()).isEqualTo("DOWN");
            assertThat(health.text()).contains("latchkey.storage.schema");
        }
    }
}
