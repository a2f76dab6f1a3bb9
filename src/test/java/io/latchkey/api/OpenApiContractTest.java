package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import jakarta.ws.rs.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The contract of openapi/openapi.yaml: every documented operation is called for real, and
 * every answer must have a documented status, content type, headers and a body that validates
 * against the documented schema (OpenAPI 3.0 dialect: nullable, additionalProperties false).
 * The document and the JAX-RS resources must list the same operations under /v1.
 */
@HelidonTest
@Tag("api")
class OpenApiContractTest extends ApiTestBase {
    private static final Path DOCUMENT = Path.of("openapi", "openapi.yaml");
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");

    private static JsonNode doc;
    private static SchemaRegistry schemas;
    /** Template paths in match order: literal paths before templated ones. */
    private static List<String> templates;
    /** "METHOD template" -> statuses seen. */
    private static final Map<String, Set<Integer>> seen = new LinkedHashMap<>();

    @BeforeAll
    static void loadDocument() throws IOException {
        doc = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(DOCUMENT));
        assertThat(doc.path("openapi").asText()).isEqualTo("3.0.3");
        schemas = SchemaRegistry.withDialect(Dialects.getOpenApi30());
        templates = new ArrayList<>();
        doc.path("paths").fieldNames().forEachRemaining(templates::add);
        templates.sort(Comparator.comparing((String t) -> t.contains("{")).thenComparing(Comparator.reverseOrder()));
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
            JsonNode op = operation("GET", "/v1/config/watch");
            assertThat(contentOf(response(op, 200), stream.contentType())).as("watch media type").isNotNull();
            api.put("/v1/config/" + prefix + "w").text("x").send();
            api.put("/v1/config/" + prefix + "w").body("application/octet-stream", new byte[] {(byte) 0xfe}).send();
            api.delete("/v1/config/" + prefix + "w").send();
            for (int i = 0; i < 3; i++) {
                SseStream.Event event = stream.next(Duration.ofSeconds(10));
                assertValid(ref("WatchEvent"), Api.JSON.readTree(event.data()), "watch event " + event);
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

        // Cluster.
        JsonNode cluster = check(api.get("/v1/cluster"), "GET", 200).json();
        String self = cluster.path("nodeId").asText();
        String learner = check(api.post("/v1/cluster/members")
                .json(Api.object("peerUrl", "http://127.0.0.1:1", "clientUrl", "http://127.0.0.1:2")), "POST", 201).json().path("id").asText();
        check(api.post("/v1/cluster/members").json(Api.object("peerUrl", "nope")), "POST", 400);
        check(api.post("/v1/cluster/members").text("x"), "POST", 415);
        check(api.post("/v1/cluster/members/" + learner + "/promote"), "POST", 409);
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

        // Operations.
        for (String path : List.of("/health", "/health/live", "/health/ready", "/health/started")) {
            check(api.get(path), "GET", 200);
        }
        check(api.get("/metrics"), "GET", 200);
        check(api.get("/metrics?scope=application").header("Accept", "application/json"), "GET", 200);
        check(api.get("/openapi"), "GET", 200);
        check(api.get("/openapi").header("Accept", "application/json"), "GET", 200);

        List<String> missed = new ArrayList<>();
        forEachOperation((method, template) -> {
            if (!seen.containsKey(method + " " + template)) {
                missed.add(method + " " + template);
            }
        });
        assertThat(missed).as("documented operations this test did not call").isEmpty();
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
        // The hot paths are Helidon SE routes; their route tables list what they serve.
        for (RouteTable<?> table : List.of(ConfigResource.ROUTES, LockResource.ROUTES, LeaseResource.ROUTES)) {
            table.operations().forEach(op -> served.add(op.method() + " " + op.template()));
        }
        assertThat(served).as("JAX-RS operations").isNotEmpty();

        List<String> undocumented = new ArrayList<>();
        for (String op : served) {
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1);
            // A literal path (PUT /v1/config/watch: the key "watch") may be documented by a template that covers it.
            boolean documented = templates.stream().anyMatch(t -> (t.equals(path) || matches(t, path))
                    && doc.path("paths").path(t).has(method.toLowerCase(Locale.ROOT)));
            if (!documented) {
                undocumented.add(op);
            }
        }
        assertThat(undocumented).as("operations served under /v1 that openapi.yaml lacks").isEmpty();

        List<String> unserved = new ArrayList<>();
        forEachOperation((method, template) -> {
            if (template.startsWith("/v1") && !served.contains(method + " " + template)) {
                unserved.add(method + " " + template);
            }
        });
        assertThat(unserved).as("operations openapi.yaml documents that no resource serves").isEmpty();
    }

    @Test
    void theValidatorRejectsWhatTheDocumentForbids() {
        JsonNode schema = Api.object("$ref", "#/components/schemas/Written");
        ObjectNode root = schema.deepCopy();
        root.set("components", doc.path("components"));
        Schema compiled = schemas.getSchema(root);
        assertThat(compiled.validate(Api.object("key", "k", "revision", 1, "version", 1))).isEmpty();
        assertThat(compiled.validate(Api.object("key", "k", "revision", 1))).as("a required field missing").isNotEmpty();
        assertThat(compiled.validate(Api.object("key", "k", "revision", "1", "version", 1))).as("a wrong type").isNotEmpty();
        assertThat(compiled.validate(Api.object("key", "k", "revision", 1, "version", 1, "extra", true)))
                .as("an undocumented field").isNotEmpty();
    }

    @Test
    void theServedDocumentIsTheSourceFile() throws Exception {
        JsonNode served = api.get("/openapi").header("Accept", "application/json").send().json();
        assertThat(served.path("paths").size()).isEqualTo(doc.path("paths").size());
        List<String> paths = new ArrayList<>();
        served.path("paths").fieldNames().forEachRemaining(paths::add);
        List<String> documented = new ArrayList<>();
        doc.path("paths").fieldNames().forEachRemaining(documented::add);
        assertThat(paths).containsExactlyInAnyOrderElementsOf(documented);
        assertThat(served.path("components").path("schemas").size()).isEqualTo(doc.path("components").path("schemas").size());
    }

    // ------------------------------------------------------------------ checking answers

    /** Sends the call, checks the answer against the document and returns it. */
    private Api.Reply check(Api.Call call, String method, int expectedStatus) {
        Api.Reply reply = call.send();
        String template = templateOf(requestPath(call));
        assertThat(template).as("a documented path for %s", requestPath(call)).isNotNull();
        JsonNode op = operation(method, template);
        String where = method + " " + requestPath(call) + " -> " + reply;
        assertThat(reply.status()).as("status of %s", where).isEqualTo(expectedStatus);
        JsonNode response = response(op, reply.status());
        assertThat(response).as("documented status of %s", where).isNotNull();
        record(method + " " + template, reply.status());

        response.path("headers").fields().forEachRemaining(h ->
                assertThat(reply.header(h.getKey())).as("header %s of %s", h.getKey(), where).isNotNull());
        JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertThat(reply.body()).as("body of %s", where).isEmpty();
            return reply;
        }
        String type = reply.contentType();
        JsonNode media = contentOf(response, type);
        assertThat(media).as("documented content type %s of %s", type, where).isNotNull();
        if (type.startsWith("application/json") || type.startsWith("application/problem+json")) {
            assertValid(media.path("schema"), reply.json(), where);
        }
        return reply;
    }

    private static void assertValid(JsonNode schema, JsonNode value, String where) {
        ObjectNode root = schema.deepCopy();
        root.set("components", doc.path("components"));
        Schema compiled = schemas.getSchema(root);
        List<Error> errors = compiled.validate(value);
        if (!errors.isEmpty()) {
            fail("%s does not match its schema: %s", where, errors);
        }
    }

    private static JsonNode ref(String schemaName) {
        return Api.object("$ref", "#/components/schemas/" + schemaName);
    }

    private static void record(String operation, int status) {
        seen.computeIfAbsent(operation, o -> new TreeSet<>()).add(status);
    }

    private static JsonNode operation(String method, String template) {
        JsonNode op = doc.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        assertThat(op.isMissingNode()).as("%s %s is documented", method, template).isFalse();
        return op;
    }

    /** The documented response for the status, with a $ref to components/responses resolved; null if none. */
    private static JsonNode response(JsonNode op, int status) {
        JsonNode response = op.path("responses").path(Integer.toString(status));
        if (response.isMissingNode()) {
            return null;
        }
        if (response.has("$ref")) {
            String name = response.path("$ref").asText().substring("#/components/responses/".length());
            response = doc.path("components").path("responses").path(name);
        }
        return response;
    }

    /** The documented media type entry matching a Content-Type header (parameters ignored), or null. */
    private static JsonNode contentOf(JsonNode response, String contentType) {
        if (contentType == null) {
            return null;
        }
        String bare = contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        JsonNode media = response.path("content").path(bare);
        return media.isMissingNode() ? null : media;
    }

    private static String requestPath(Api.Call call) {
        return call.path().split("\\?")[0];
    }

    /** The documented template a concrete path falls under; keys and lock names may contain slashes. */
    private static String templateOf(String path) {
        return templates.stream().filter(t -> matches(t, path)).findFirst().orElse(null);
    }

    private static boolean matches(String template, String path) {
        String regex = Pattern.quote(template)
                .replace("{key}", "\\E.+\\Q").replace("{name}", "\\E.+\\Q").replaceAll("\\{[a-zA-Z]+}", "\\\\E[^/]+\\\\Q");
        return Pattern.matches(regex, path);
    }

    private static void forEachOperation(java.util.function.BiConsumer<String, String> action) {
        Iterator<String> paths = doc.path("paths").fieldNames();
        while (paths.hasNext()) {
            String template = paths.next();
            for (String method : METHODS) {
                if (doc.path("paths").path(template).has(method)) {
                    action.accept(method.toUpperCase(Locale.ROOT), template);
                }
            }
        }
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
