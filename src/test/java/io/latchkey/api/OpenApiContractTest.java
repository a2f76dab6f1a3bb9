package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.api.contract.ContractRequests;
import io.latchkey.api.contract.OpenApiDocument;
import jakarta.ws.rs.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of openapi/openapi.yaml: every documented operation is called for real, and
 * every answer must have a documented status, content type, headers and a body that validates
 * against the documented schema (OpenAPI 3.0 dialect: nullable, additionalProperties false).
 * The document and the JAX-RS resources must list the same operations under /v1, and every
 * documented answer must be provoked here or by the tests named in {@link #PROVOKED_ELSEWHERE}.
 */
@HelidonTest
@Tag("api")
class OpenApiContractTest extends ApiTestBase {
    /**
     * Answers other tests provoke and hold to the document: 307, 503 and 504 need a cluster of
     * processes or a node that did not start (FailureContractProcessTest, UnstartedNodeContractTest),
     * 410 and 429 a node with small limits or many waiters (LimitsContractTest), 401 and 403 a
     * node with authentication on (AuthApiTest), 413 of a body beyond the request limit and 507 a
     * node with a small body limit and quota (RequestLimitsApiTest).
     */
    private static final Set<Integer> PROVOKED_ELSEWHERE = Set.of(307, 401, 403, 410, 413, 429, 503, 504, 507);

    private static OpenApiDocument doc;
    /** "METHOD template" -> statuses seen. */
    private static final Map<String, Set<Integer>> seen = new LinkedHashMap<>();

    @BeforeAll
    static void loadDocument() {
        doc = OpenApiDocument.load();
    }

    @AfterAll
    static void report() {
        seen.forEach((op, statuses) -> System.out.println("contract: " + op + " " + statuses));
    }

    @Test
    void everyDocumentedOperationAnswersAsDocumented() throws Exception {
        String prefix = Api.unique("contract") + "/";
        String key = prefix + "key";

        // Config keys.
        long rev = check(api.put("/v1/config/" + key).text("v1"), "PUT", 200).json().path("revision").asLong();
        check(api.put("/v1/config/" + prefix + "bin").body("application/octet-stream", new byte[] {(byte) 0xff}), "PUT", 200);
        check(api.get("/v1/config/" + key), "GET", 200);
        check(api.get("/v1/config/" + prefix + "bin"), "GET", 200);
        check(api.get("/v1/config/" + key).header("Accept", "text/plain"), "GET", 200);
        check(api.get("/v1/config/" + key).header("Accept", "application/octet-stream"), "GET", 200);
        check(api.get("/v1/config/" + prefix + "none"), "GET", 404);
        check(api.get("/v1/config/a/../b"), "GET", 400);
        check(api.put("/v1/config/" + key + "?expectedRevision=0").text("v2"), "PUT", 412);
        check(api.put("/v1/config/" + key + "?leaseId=" + Long.MAX_VALUE).text("v2"), "PUT", 404);
        check(api.put("/v1/config/" + key + "?leaseId=0").text("v2"), "PUT", 400);
        check(api.put("/v1/config/" + prefix + "big").body("application/octet-stream", new byte[1024 * 1024 + 1]), "PUT", 413);
        check(api.get("/v1/config?prefix=" + prefix + "&limit=1"), "GET", 200);
        check(api.get("/v1/config?limit=0"), "GET", 400);
        check(api.delete("/v1/config/" + key + "?expectedRevision=" + (rev + 1000)), "DELETE", 412);
        check(api.delete("/v1/config/" + key + "?expectedRevision=-1"), "DELETE", 400);
        check(api.delete("/v1/config/" + key), "DELETE", 200);
        check(api.delete("/v1/config/" + key), "DELETE", 404);

        // Watch: a stream whose events validate, a bad request and a compacted resume is in
        // WatchCompactionApiTest (it needs a node with a short history).
        try (SseStream stream = SseStream.open(api, "/v1/config/watch?prefix=" + prefix, Map.of())) {
            JsonNode op = doc.operation("GET", "/v1/config/watch");
            assertThat(OpenApiDocument.contentOf(doc.response(op, 200), stream.contentType())).as("watch media type").isNotNull();
            api.put("/v1/config/" + prefix + "w").text("x").send();
            api.put("/v1/config/" + prefix + "w").body("application/octet-stream", new byte[] {(byte) 0xfe}).send();
            api.delete("/v1/config/" + prefix + "w").send();
            for (int i = 0; i < 3; i++) {
                SseStream.Event event = stream.next(Duration.ofSeconds(10));
                doc.assertValid(OpenApiDocument.ref("WatchEvent"), Api.JSON.readTree(event.data()), "watch event " + event);
                assertThat(event.id()).isEqualTo(Api.JSON.readTree(event.data()).path("modRevision").asText());
            }
            record("GET /v1/config/watch", 200);
        }
        check(api.get("/v1/config/watch?fromRevision=0"), "GET", 400);

        // Leases.
        Api.Reply granted = check(api.post("/v1/leases").json(Api.object("ttlSeconds", 60)), "POST", 201);
        long lease = granted.json().path("id").asLong();
        check(api.post("/v1/leases").json(Api.object("ttlSeconds", 0)), "POST", 400);
        check(api.post("/v1/leases").text("ttlSeconds=1"), "POST", 415);
        check(api.post("/v1/leases/" + lease + "/keepalive"), "POST", 200);
        check(api.post("/v1/leases/" + Long.MAX_VALUE + "/keepalive"), "POST", 404);
        check(api.post("/v1/leases/0/keepalive"), "POST", 400);
        check(api.put("/v1/config/" + prefix + "leased?leaseId=" + lease).text("l"), "PUT", 200);

        // Locks.
        Api.Reply held = check(api.post("/v1/locks/" + prefix + "lock").json(Api.object("leaseId", lease, "owner", "me")), "POST", 200);
        long token = held.json().path("token").asLong();
        check(api.post("/v1/locks/" + prefix + "lock").json(Api.object("ttlSeconds", 5)), "POST", 409);
        check(api.post("/v1/locks/" + prefix + "lock").json(Api.object("leaseId", Long.MAX_VALUE)), "POST", 404);
        check(api.post("/v1/locks/" + prefix + "lock").json(Api.object("ttlSeconds", 5, "waitMillis", -1)), "POST", 400);
        check(api.post("/v1/locks/" + prefix + "lock").text("x"), "POST", 415);
        check(api.put("/v1/config/" + prefix + "fenced?lock=" + prefix + "lock&token=" + token).text("f"), "PUT", 200);
        check(api.put("/v1/config/" + prefix + "fenced?lock=" + prefix + "lock&token=" + (token + 1)).text("f"), "PUT", 412);
        check(api.get("/v1/locks/" + prefix + "lock"), "GET", 200);
        check(api.get("/v1/locks/" + prefix + "free"), "GET", 404);
        check(api.get("/v1/locks/a/../b"), "GET", 400);
        check(api.get("/v1/locks?prefix=" + prefix), "GET", 200);
        check(api.get("/v1/locks?limit=5000"), "GET", 400);
        check(api.get("/v1/leases/" + lease), "GET", 200);
        check(api.get("/v1/leases/" + Long.MAX_VALUE), "GET", 404);
        check(api.get("/v1/leases/0"), "GET", 400);
        check(api.delete("/v1/locks/" + prefix + "lock?token=" + (token + 1)), "DELETE", 409);
        check(api.delete("/v1/locks/" + prefix + "lock"), "DELETE", 400);
        check(api.delete("/v1/locks/" + prefix + "lock?token=" + token), "DELETE", 204);
        check(api.delete("/v1/locks/" + prefix + "lock?token=" + token), "DELETE", 404);
        check(api.delete("/v1/leases/" + lease), "DELETE", 204);
        check(api.delete("/v1/leases/" + lease), "DELETE", 404);
        check(api.delete("/v1/leases/0"), "DELETE", 400);

        // An Idempotency-Key names one request: reused by any other keyed write it is 422.
        String usedKey = Api.unique("used");
        check(api.put("/v1/config/" + prefix + "keyed").header("Idempotency-Key", usedKey).text("first"), "PUT", 200);
        Map<String, ContractRequests.Request> every = ContractRequests.everyV1Operation(doc, prefix + "422/");
        for (ContractRequests.Request r : ContractRequests.of(every, "PUT /v1/config/{key}", "DELETE /v1/config/{key}",
                "POST /v1/locks/{name}", "DELETE /v1/locks/{name}", "POST /v1/leases", "DELETE /v1/leases/{id}",
                "POST /v1/leases/{id}/keepalive")) {
            check(api.call(r).header("Idempotency-Key", usedKey), r.method(), 422);
        }

        // Cluster.
        JsonNode cluster = check(api.get("/v1/cluster"), "GET", 200).json();
        String self = cluster.path("nodeId").asText();
        String learner = check(api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:2")), "POST", 201).json().path("id").asText();
        check(api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:2")), "POST", 200);
        check(api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:3")), "POST", 409);
        check(api.post("/v1/cluster/members").json(Api.object("peerUrl", "nope")), "POST", 400);
        check(api.post("/v1/cluster/members").text("x"), "POST", 415);
        check(api.post("/v1/cluster/members/" + learner + "/promote"), "POST", 409);
        check(api.post("/v1/cluster/members/" + self + "/promote"), "POST", 204);
        check(api.post("/v1/cluster/members/abc/promote"), "POST", 404);
        check(api.post("/v1/cluster/members/zz/promote"), "POST", 400);
        check(api.delete("/v1/cluster/members/" + learner), "DELETE", 204);
        check(api.delete("/v1/cluster/members/" + self), "DELETE", 409);
        check(api.delete("/v1/cluster/members/abc"), "DELETE", 404);
        check(api.delete("/v1/cluster/members/0"), "DELETE", 400);
        check(api.post("/v1/cluster/leader").json(Api.object("id", self)), "POST", 202);
        check(api.post("/v1/cluster/leader").json(Api.object("id", "abc")), "POST", 404);
        check(api.post("/v1/cluster/leader").json("{}"), "POST", 400);
        check(api.post("/v1/cluster/leader").text("x"), "POST", 415);

        // Maintenance: a backup whose state decodes and whose headers say what it holds.
        Api.Reply snapshot = check(api.get("/v1/maintenance/snapshot"), "GET", 200);
        assertThat(io.latchkey.state.Backups.read(snapshot.body()).getRevision())
                .isEqualTo(Long.parseLong(snapshot.header("Latchkey-Revision")));

        // Operations.
        for (String path : List.of("/health", "/health/live", "/health/ready", "/health/started")) {
            check(api.get(path), "GET", 200);
        }
        check(api.get("/metrics"), "GET", 200);
        check(api.get("/metrics?scope=application").header("Accept", "application/json"), "GET", 200);
        check(api.get("/openapi"), "GET", 200);
        check(api.get("/openapi").header("Accept", "application/json"), "GET", 200);
        check(api.get("/openapi").header("Accept", "application/yaml"), "GET", 200);
        check(api.get("/openapi?format=YAML"), "GET", 200);
        check(api.get("/openapi?format=XML"), "GET", 400);
        check(api.get("/openapi").header("Accept", "text/plain"), "GET", 404);
        check(api.get("/metrics?scope=nope"), "GET", 404);
        check(api.get("/metrics").header("Accept", "image/png"), "GET", 406);

        // Content negotiation comes before the request is carried out: an image-only client
        // gets 406 from every operation, writes included.
        for (ContractRequests.Request r : ContractRequests.everyV1Operation(doc, prefix + "406/").values()) {
            check(api.call(r).header("Accept", "image/png"), r.method(), 406);
        }

        List<String> missed = new ArrayList<>();
        doc.forEachOperation((method, template) -> {
            Set<Integer> documented = new TreeSet<>(doc.statuses(method, template));
            documented.removeAll(PROVOKED_ELSEWHERE);
            documented.removeAll(seen.getOrDefault(method + " " + template, Set.of()));
            if (!documented.isEmpty()) {
                missed.add(method + " " + template + " " + documented);
            }
        });
        assertThat(missed).as("documented answers this test did not provoke").isEmpty();
    }

    @Test
    void aMethodAPathDoesNotListIs405WithAllow() throws Exception {
        HttpResponse<byte[]> answer = api.http().send(HttpRequest.newBuilder(URI.create(api.base() + "/v1/config/k"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("v")).header("Content-Type", "text/plain").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode()).isEqualTo(405);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith(OpenApiDocument.PROBLEM_JSON));
        doc.assertValid(OpenApiDocument.ref("Problem"), Api.JSON.readTree(answer.body()), "405 of PATCH");
        assertThat(answer.headers().firstValue("Allow")).as("the methods the path takes (RFC 9110 §15.5.6)")
                .hasValueSatisfying(allow -> assertThat(allow).contains("GET", "PUT", "DELETE"));
    }

    @Test
    void theDocumentAndTheResourcesListTheSameOperations() throws Exception {
        Set<String> served = new TreeSet<>();
        for (Class<?> resource : resourceClasses()) {
            String base = resource.getAnnotation(jakarta.ws.rs.Path.class).value();
            for (Method m : resource.getDeclaredMethods()) {
                String http = httpMethod(m);
                if (http == null) {
                    continue;
                }
                jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                served.add(http + " " + normalize(base + (sub == null ? "" : "/" + sub.value())));
            }
        }
        assertThat(served).as("JAX-RS operations").isNotEmpty();

        List<String> undocumented = new ArrayList<>();
        for (String op : served) {
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1);
            // A literal path (PUT /v1/config/watch: the key "watch") may be documented by a template that covers it.
            boolean documented = doc.templates().stream().anyMatch(t -> (t.equals(path) || OpenApiDocument.matches(t, path))
                    && doc.root().path("paths").path(t).has(method.toLowerCase(Locale.ROOT)));
            if (!documented) {
                undocumented.add(op);
            }
        }
        assertThat(undocumented).as("operations served under /v1 that openapi.yaml lacks").isEmpty();

        List<String> unserved = new ArrayList<>();
        doc.forEachOperation((method, template) -> {
            if (template.startsWith("/v1") && !served.contains(method + " " + template)) {
                unserved.add(method + " " + template);
            }
        });
        assertThat(unserved).as("operations openapi.yaml documents that no resource serves").isEmpty();
    }

    @Test
    void theValidatorRejectsWhatTheDocumentForbids() {
        JsonNode written = OpenApiDocument.ref("Written");
        assertThat(doc.errors(written, Api.object("key", "k", "revision", 1, "version", 1))).isEmpty();
        assertThat(doc.errors(written, Api.object("key", "k", "revision", 1))).as("a required field missing").isNotEmpty();
        assertThat(doc.errors(written, Api.object("key", "k", "revision", "1", "version", 1))).as("a wrong type").isNotEmpty();
        assertThat(doc.errors(written, Api.object("key", "k", "revision", 1, "version", 1, "extra", true)))
                .as("an undocumented field").isNotEmpty();

        byte[] unavailable = "{\"type\":\"about:blank\",\"title\":\"No leader\",\"status\":503}".getBytes(StandardCharsets.UTF_8);
        doc.checkAnswer("GET", "/v1/cluster", 503, headers("Retry-After", "1"), unavailable, "a documented 503");
        assertThatThrownBy(() -> doc.checkAnswer("GET", "/v1/cluster", 503, headers(), unavailable, "no Retry-After"))
                .as("a documented header missing").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> doc.checkAnswer("GET", "/v1/cluster", 503, headers("Retry-After", "soon"), unavailable, "a date"))
                .as("a header its schema forbids").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> doc.checkAnswer("GET", "/v1/cluster", 504, headers("Retry-After", "1"), unavailable, "504"))
                .as("a problem whose status is not the answer's").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> doc.checkAnswer("GET", "/v1/cluster", 409, headers(), unavailable, "409"))
                .as("an undocumented status").isInstanceOf(AssertionError.class);
    }

    @Test
    void theServedDocumentIsTheSourceFile() throws Exception {
        JsonNode served = api.get("/openapi").header("Accept", "application/json").send().json();
        assertThat(served.path("paths").size()).isEqualTo(doc.root().path("paths").size());
        List<String> paths = new ArrayList<>();
        served.path("paths").fieldNames().forEachRemaining(paths::add);
        List<String> documented = new ArrayList<>();
        doc.root().path("paths").fieldNames().forEachRemaining(documented::add);
        assertThat(paths).containsExactlyInAnyOrderElementsOf(documented);
        assertThat(served.path("components").path("schemas").size()).isEqualTo(doc.root().path("components").path("schemas").size());
        assertThat(served.path("components").path("securitySchemes")).isEqualTo(doc.root().path("components").path("securitySchemes"));
        assertThat(served.path("security")).isEqualTo(doc.root().path("security"));
        assertThat(served.path("paths").path("/v1/cluster/members").path("post").path("responses").has("403")).isTrue();
    }

    // ------------------------------------------------------------------ checking answers

    /** Sends the call, checks the answer against the document and returns it. */
    private Api.Reply check(Api.Call call, String method, int expectedStatus) {
        Api.Reply reply = call.send();
        String where = method + " " + call.path() + " -> " + reply;
        assertThat(reply.status()).as("status of %s", where).isEqualTo(expectedStatus);
        String template = doc.checkAnswer(method, requestPath(call), reply.status(), reply.headers(), reply.body(), where);
        record(method + " " + template, reply.status());
        return reply;
    }

    /** Problem answer headers with the given extra name-value pairs. */
    private static java.net.http.HttpHeaders headers(String... namesAndValues) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        map.put("Content-Type", List.of(OpenApiDocument.PROBLEM_JSON));
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], List.of(namesAndValues[i + 1]));
        }
        return java.net.http.HttpHeaders.of(map, (name, value) -> true);
    }

    private static void record(String operation, int status) {
        seen.computeIfAbsent(operation, o -> new TreeSet<>()).add(status);
    }

    private static String requestPath(Api.Call call) {
        return call.path().split("\\?")[0];
    }

    // ------------------------------------------------------------------ reflection

    private static List<Class<?>> resourceClasses() throws Exception {
        Path dir = Path.of("target", "classes", "io", "latchkey", "api");
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().contains("$")).toList()) {
                String name = "io.latchkey.api." + file.getFileName().toString().replace(".class", "");
                Class<?> type = Class.forName(name, false, OpenApiContractTest.class.getClassLoader());
                if (type.isAnnotationPresent(jakarta.ws.rs.Path.class)) {
                    classes.add(type);
                }
            }
        }
        return classes;
    }

    private static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    /** "/v1/config/{key: .+}" -> "/v1/config/{key}"; no double or trailing slashes. */
    private static String normalize(String path) {
        String p = ("/" + path).replaceAll("\\{\\s*([a-zA-Z]+)\\s*:[^}]*}", "{$1}").replaceAll("/+", "/");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
