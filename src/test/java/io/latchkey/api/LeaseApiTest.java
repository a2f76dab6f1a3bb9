package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@HelidonTest
@Tag("api")
class LeaseApiTest extends ApiTestBase {

    @Test
    void aGrantedLeaseIs201WithItsLocation() {
        Api.Reply reply = assertStatus(api.post("/v1/leases").json(Api.object("ttlSeconds", 60)).send(), 201);
        JsonNode lease = reply.json();
        assertThat(lease.path("ttlSeconds").asLong()).isEqualTo(60);
        long id = lease.path("id").asLong();
        assertThat(reply.header("Location")).endsWith("/v1/leases/" + id);

        JsonNode detail = assertStatus(api.get("/v1/leases/" + id).send(), 200).json();
        assertThat(detail.path("id").asLong()).isEqualTo(id);
        assertThat(detail.path("remainingMillis").asLong()).isBetween(1L, 60_000L);
        assertThat(detail.path("keys")).isEmpty();
        assertThat(detail.path("locks")).isEmpty();
        assertThat(detail.path("awaitedLocks")).isEmpty();
    }

    @Test
    void aKeepAliveRestartsTheTtl() {
        long id = grantLease(60);
        JsonNode kept = assertStatus(api.post("/v1/leases/" + id + "/keepalive").send(), 200).json();
        assertThat(kept.path("id").asLong()).isEqualTo(id);
        assertThat(kept.path("ttlSeconds").asLong()).isEqualTo(60);
        assertThat(kept.path("remainingMillis").asLong()).isBetween(59_000L, 60_000L);
    }

    @Test
    void aRevokedLeaseIsGoneWithItsLocks() {
        long id = grantLease(60);
        String lock = Api.unique("revoked-lock");
        assertStatus(api.post("/v1/locks/" + lock).json(Api.object("leaseId", id)).send(), 200);
        assertStatus(api.delete("/v1/leases/" + id).send(), 204);
        assertProblem(api.get("/v1/leases/" + id).send(), 404, "id");
        assertProblem(api.post("/v1/leases/" + id + "/keepalive").send(), 404, "id");
        assertProblem(api.delete("/v1/leases/" + id).send(), 404, "id");
        assertProblem(api.get("/v1/locks/" + lock).send(), 404, "name");
    }

    @Test
    void aRetriedGrantWithTheSameIdempotencyKeyGrantsOneLease() {
        String idem = Api.unique("grant");
        JsonNode first = api.post("/v1/leases").header("Idempotency-Key", idem).json(Api.object("ttlSeconds", 30)).send().json();
        JsonNode retry = assertStatus(api.post("/v1/leases").header("Idempotency-Key", idem)
                .json(Api.object("ttlSeconds", 30)).send(), 201).json();
        assertThat(retry).isEqualTo(first);
        long next = grantLease(30);
        assertThat(next).isEqualTo(first.path("id").asLong() + 1);
    }

    @Test
    void invalidLeaseRequestsAre400NamingTheField() {
        assertProblem(api.post("/v1/leases").json(Api.object("ttlSeconds", 0)).send(), 400, "ttlSeconds");
        assertProblem(api.post("/v1/leases").json(Api.object("ttlSeconds", 3601)).send(), 400, "ttlSeconds");
        assertProblem(api.post("/v1/leases").json("{}").send(), 400, "ttlSeconds");
        assertProblem(api.post("/v1/leases").json("{\"ttlSeconds\":[5]}").send(), 400, "body");
        assertProblem(api.post("/v1/leases").send(), 400, "ttlSeconds");
        assertProblem(api.post("/v1/leases").text("ttlSeconds=5").send(), 415, null);
        assertProblem(api.get("/v1/leases/0").send(), 400, "id");
        assertProblem(api.get("/v1/leases/abc").send(), 400, "id");
        assertProblem(api.post("/v1/leases/-1/keepalive").send(), 400, "id");
        assertProblem(api.delete("/v1/leases/0").send(), 400, "id");
        assertProblem(api.get("/v1/leases/1?consistency=x").send(), 400, "consistency");
    }

    @Test
    void unknownLeasesAre404() {
        assertProblem(api.get("/v1/leases/" + Long.MAX_VALUE).send(), 404, "id");
        assertProblem(api.post("/v1/leases/" + Long.MAX_VALUE + "/keepalive").send(), 404, "id");
        assertProblem(api.delete("/v1/leases/" + Long.MAX_VALUE).send(), 404, "id");
    }
}
