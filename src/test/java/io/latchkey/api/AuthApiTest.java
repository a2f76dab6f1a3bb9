package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.api.contract.ContractRequests;
import io.latchkey.api.contract.OpenApiDocument;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import static io.latchkey.api.ApiTestBase.assertProblem;
import static io.latchkey.api.ApiTestBase.assertStatus;
import static io.latchkey.api.TestTokens.KEYS;
import static io.latchkey.api.TestTokens.OTHER_KEYS;
import static io.latchkey.api.TestTokens.claims;
import static io.latchkey.api.TestTokens.sign;
import static io.latchkey.api.TestTokens.token;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client authentication and authorization with {@code latchkey.auth.enabled=true}: bearer JWTs
 * minted with a test key pair whose public half the node reads from a PEM file ({@link TestTokens}).
 */
@HelidonTest
@AddConfig(key = "latchkey.auth.enabled", value = "true")
@AddConfig(key = "mp.jwt.verify.publickey.location", value = TestTokens.PUBLIC_KEY_FILE)
@AddConfig(key = "mp.jwt.verify.issuer", value = TestTokens.ISSUER)
@AddConfig(key = "mp.jwt.verify.audiences", value = TestTokens.AUDIENCE)
@Tag("api")
class AuthApiTest {
    static {
        TestTokens.publishPublicKey();
    }

    @Inject
    ServerCdiExtension server;

    private Api api;
    private String admin;

    @BeforeEach
    void connect() {
        api = new Api(server.port());
        admin = token("root", List.of("admin"));
        Api.awaitCondition(Duration.ofSeconds(60), "the node takes writes", () ->
                as(admin, api.post("/v1/leases").json(Api.object("ttlSeconds", 5))).send().status() == 201);
    }

    @Test
    void aRequestWithoutATokenIs401WithTheBearerChallenge() {
        Api.Reply reply = api.get("/v1/config/" + Api.unique("k")).send();
        assertProblem(reply, 401, null);
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertProblem(api.put("/v1/config/k").text("v").send(), 401, null);
        assertProblem(api.get("/v1/cluster").send(), 401, null);
        assertProblem(api.get("/v1/config/k").header("Authorization", "Basic dTpw").send(), 401, null);
    }

    @Test
    void aTokenWithAWrongIssuerAnExpiryPassedOrAnotherKeyIs401AndIsNotEchoed() throws Exception {
        String wrongIssuer = sign(KEYS, claims("alice", List.of("admin")).issuer("https://evil.test").build());
        String expired = sign(KEYS, claims("alice", List.of("admin"))
                .expirationTime(Date.from(Instant.now().minus(Duration.ofMinutes(5)))).build());
        String otherKey = sign(OTHER_KEYS, claims("alice", List.of("admin")).build());
        String wrongAudience = sign(KEYS, claims("alice", List.of("admin")).audience("someone-else").build());
        for (String bad : List.of(wrongIssuer, expired, otherKey, wrongAudience, "not.a.jwt")) {
            Api.Reply reply = as(bad, api.get("/v1/config/" + Api.unique("k"))).send();
            JsonNode problem = assertProblem(reply, 401, null);
            assertThat(reply.text()).doesNotContain(bad);
            assertThat(problem.path("detail").asText()).isNotEmpty();
        }
    }

    @Test
    void aReaderReadsButCannotWrite() {
        String key = Api.unique("shared");
        assertStatus(as(admin, api.put("/v1/config/" + key).text("v")).send(), 200);
        String reader = token("rita", List.of("reader"));
        assertThat(as(reader, api.get("/v1/config/" + key)).send().json().path("value").asText()).isEqualTo("v");
        assertStatus(as(reader, api.get("/v1/locks")).send(), 200);
        assertProblem(as(reader, api.put("/v1/config/" + key).text("w")).send(), 403, null);
        assertProblem(as(reader, api.delete("/v1/config/" + key)).send(), 403, null);
        assertProblem(as(reader, api.post("/v1/leases").json(Api.object("ttlSeconds", 5))).send(), 403, null);
        assertProblem(as(reader, api.post("/v1/locks/" + key).json(Api.object("ttlSeconds", 5))).send(), 403, null);
        assertProblem(as(token("nobody", List.of()), api.get("/v1/config/" + key)).send(), 403, null);
    }

    @Test
    void aPrefixScopedWriterWritesOnlyUnderItsPrefix() {
        String prefix = Api.unique("app") + "/payments/";
        String writer = token("pay", List.of("writer:" + prefix));
        assertStatus(as(writer, api.put("/v1/config/" + prefix + "rate").text("1")).send(), 200);
        assertStatus(as(writer, api.get("/v1/config/" + prefix + "rate")).send(), 200);
        assertStatus(as(writer, api.get("/v1/config?prefix=" + prefix)).send(), 200);
        long token = assertStatus(as(writer, api.post("/v1/locks/" + prefix + "lock").json(Api.object("ttlSeconds", 30))).send(), 200)
                .json().path("token").asLong();
        assertStatus(as(writer, api.delete("/v1/locks/" + prefix + "lock?token=" + token)).send(), 204);

        assertProblem(as(writer, api.put("/v1/config/other/rate").text("1")).send(), 403, "key");
        assertProblem(as(writer, api.get("/v1/config/other/rate")).send(), 403, "key");
        assertProblem(as(writer, api.get("/v1/config")).send(), 403, "prefix");
        assertProblem(as(writer, api.post("/v1/locks/other-lock").json(Api.object("ttlSeconds", 30))).send(), 403, "name");
    }

    @Test
    void onlyAnAdminChangesTheCluster() {
        String writer = token("wendy", List.of("writer"));
        assertStatus(as(writer, api.get("/v1/cluster")).send(), 200);
        assertProblem(as(writer, api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:2"))).send(), 403, null);
        assertProblem(as(writer, api.post("/v1/cluster/members/abc/promote")).send(), 403, null);
        assertProblem(as(writer, api.delete("/v1/cluster/members/abc")).send(), 403, null);
        assertProblem(as(writer, api.post("/v1/cluster/leader").json(Api.object("id", "abc"))).send(), 403, null);
        assertProblem(as(admin, api.post("/v1/cluster/members/abc/promote")).send(), 404, null);
    }

    @Test
    void onlyAnAdminTakesASnapshot() {
        assertProblem(api.get("/v1/maintenance/snapshot").send(), 401, null);
        assertProblem(as(token("wendy", List.of("writer")), api.get("/v1/maintenance/snapshot")).send(), 403, null);
        assertProblem(as(token("rita", List.of("reader")), api.get("/v1/maintenance/snapshot")).send(), 403, null);
        Api.Reply snapshot = assertStatus(as(admin, api.get("/v1/maintenance/snapshot")).send(), 200);
        assertThat(snapshot.body()).isNotEmpty();
        assertThat(snapshot.header("Latchkey-Revision")).isNotNull();
    }

    @Test
    void anotherSubjectCannotKeepAliveRevokeLockOrPutKeysWithALease_theOwnerAndAnAdminCan() {
        String alice = token("alice", List.of("writer"));
        String bob = token("bob", List.of("writer"));
        long lease = assertStatus(as(alice, api.post("/v1/leases").json(Api.object("ttlSeconds", 30))).send(), 201)
                .json().path("id").asLong();
        String lock = Api.unique("owned");

        assertProblem(as(bob, api.post("/v1/leases/" + lease + "/keepalive")).send(), 403, "id");
        assertProblem(as(bob, api.delete("/v1/leases/" + lease)).send(), 403, "id");
        assertProblem(as(bob, api.post("/v1/locks/" + lock).json(Api.object("leaseId", lease))).send(), 403, "leaseId");
        assertProblem(as(bob, api.get("/v1/locks/" + lock)).send(), 404, "name");

        assertProblem(as(bob, api.put("/v1/config/" + lock + "?leaseId=" + lease).text("v")).send(), 403, "leaseId");

        assertStatus(as(alice, api.put("/v1/config/" + lock + "?leaseId=" + lease).text("v")).send(), 200);
        assertStatus(as(alice, api.post("/v1/leases/" + lease + "/keepalive")).send(), 200);
        assertStatus(as(alice, api.post("/v1/locks/" + lock).json(Api.object("leaseId", lease))).send(), 200);
        assertStatus(as(admin, api.post("/v1/leases/" + lease + "/keepalive")).send(), 200);
        assertStatus(as(admin, api.delete("/v1/leases/" + lease)).send(), 204);
        assertProblem(as(alice, api.get("/v1/locks/" + lock)).send(), 404, "name");
    }

    @Test
    void onlyTheHoldersSubjectOrAnAdminReleasesALock_andOnlyTheySeeItsToken() {
        String alice = token("alice", List.of("writer"));
        String bob = token("bob", List.of("writer"));
        String rita = token("rita", List.of("reader"));
        String lock = Api.unique("held");
        long token = assertStatus(as(alice, api.post("/v1/locks/" + lock).json(Api.object("ttlSeconds", 30))).send(), 200)
                .json().path("token").asLong();

        Api.Reply refused = as(bob, api.delete("/v1/locks/" + lock + "?token=" + token)).send();
        assertProblem(refused, 403, "token");
        assertThat(refused.text()).doesNotContainPattern("\\b" + token + "\\b");
        for (String other : List.of(bob, rita)) {
            JsonNode one = assertStatus(as(other, api.get("/v1/locks/" + lock)).send(), 200).json();
            assertThat(one.has("token")).as("another subject does not see the token").isFalse();
            assertThat(one.path("leaseId").asLong()).isPositive();
            JsonNode listed = assertStatus(as(other, api.get("/v1/locks?prefix=" + lock)).send(), 200).json().path("locks");
            assertThat(listed).hasSize(1);
            assertThat(listed.get(0).has("token")).isFalse();
        }
        assertThat(as(alice, api.get("/v1/locks/" + lock)).send().json().path("token").asLong()).isEqualTo(token);
        assertThat(as(admin, api.get("/v1/locks?prefix=" + lock)).send().json().path("locks").get(0).path("token").asLong())
                .isEqualTo(token);

        assertStatus(as(alice, api.delete("/v1/locks/" + lock + "?token=" + token)).send(), 204);
        String retryKey = Api.unique("retry");
        long aliceToken = assertStatus(as(alice, api.post("/v1/locks/" + lock).header("Idempotency-Key", retryKey)
                .json(Api.object("ttlSeconds", 30))).send(), 200).json().path("token").asLong();
        assertProblem(as(bob, api.post("/v1/locks/" + lock).header("Idempotency-Key", retryKey)
                .json(Api.object("ttlSeconds", 30))).send(), 409, "waitMillis");
        assertStatus(as(alice, api.delete("/v1/locks/" + lock + "?token=" + aliceToken)).send(), 204);
        long again = assertStatus(as(alice, api.post("/v1/locks/" + lock).json(Api.object("ttlSeconds", 30))).send(), 200)
                .json().path("token").asLong();
        assertStatus(as(admin, api.delete("/v1/locks/" + lock + "?token=" + again)).send(), 204);
    }

    @Test
    void everyV1OperationAnswers401WithoutAToken_and403WithoutARole_asDocumented() {
        OpenApiDocument doc = OpenApiDocument.load();
        String nobody = token("nobody", List.of());
        for (ContractRequests.Request r : ContractRequests.everyV1Operation(doc, Api.unique("auth") + "/").values()) {
            Api.Reply unauthenticated = api.call(r).send();
            doc.checkAnswer(r.method(), r.pathWithoutQuery(), unauthenticated.status(), unauthenticated.headers(),
                    unauthenticated.body(), r + " without a token");
            assertProblem(unauthenticated, 401, null);
            Api.Reply forbidden = as(nobody, api.call(r)).send();
            doc.checkAnswer(r.method(), r.pathWithoutQuery(), forbidden.status(), forbidden.headers(), forbidden.body(),
                    r + " without a role");
            assertProblem(forbidden, 403, null);
        }
    }

    @Test
    void healthMetricsAndOpenApiNeedNoToken() {
        assertStatus(api.get("/health/ready").send(), 200);
        assertStatus(api.get("/metrics").send(), 200);
        assertStatus(api.get("/openapi").send(), 200);
    }

    private static Api.Call as(String token, Api.Call call) {
        return call.header("Authorization", "Bearer " + token);
    }
}
