package io.latchkey.api.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * openapi/openapi.yaml as a checker of real answers: an answer must have a status the
 * operation documents, every documented header with a value its schema allows, a documented
 * content type, and a JSON body that validates against the documented schema (OpenAPI 3.0
 * dialect: nullable, additionalProperties false). Shared by the contract tests of a single
 * node and of a cluster of processes, so both hold answers to the same document.
 */
public final class OpenApiDocument {
    public static final Path FILE = Path.of("openapi", "openapi.yaml");
    public static final String PROBLEM_JSON = "application/problem+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");

    private final JsonNode doc;
    private final SchemaRegistry schemas = SchemaRegistry.withDialect(Dialects.getOpenApi30());
    /** Template paths in match order: literal paths before templated ones. */
    private final List<String> templates = new ArrayList<>();

    private OpenApiDocument(JsonNode doc) {
        this.doc = doc;
        doc.path("paths").fieldNames().forEachRemaining(templates::add);
        templates.sort(Comparator.comparing((String t) -> t.contains("{")).thenComparing(Comparator.reverseOrder()));
    }

    public static OpenApiDocument load() {
        try {
            OpenApiDocument document = new OpenApiDocument(new ObjectMapper(new YAMLFactory()).readTree(Files.readString(FILE)));
            assertThat(document.doc.path("openapi").asText()).isEqualTo("3.0.3");
            return document;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode root() {
        return doc;
    }

    /** The template paths, literal ones first. */
    public List<String> templates() {
        return List.copyOf(templates);
    }

    /**
     * Checks one real answer to {@code method path} (no query) against the document and
     * returns the operation's template. {@code where} describes the call for failure messages.
     */
    public String checkAnswer(String method, String path, int status, HttpHeaders headers, byte[] body, String where) {
        String template = templateOf(path);
        assertThat(template).as("a documented path for %s", path).isNotNull();
        JsonNode response = response(operation(method, template), status);
        assertThat(response).as("documented status of %s", where).isNotNull();

        response.path("headers").fields().forEachRemaining(h -> {
            String value = headers.firstValue(h.getKey()).orElse(null);
            assertThat(value).as("header %s of %s", h.getKey(), where).isNotNull();
            assertValid(headerSchema(h.getValue()), headerValue(headerSchema(h.getValue()), value),
                    "header " + h.getKey() + " of " + where);
        });
        JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertThat(body).as("body of %s", where).isEmpty();
            return template;
        }
        String type = headers.firstValue("Content-Type").orElse(null);
        JsonNode media = contentOf(response, type);
        assertThat(media).as("documented content type %s of %s", type, where).isNotNull();
        if (type.startsWith("application/json") || type.startsWith(PROBLEM_JSON)) {
            JsonNode json = json(body, where);
            assertValid(media.path("schema"), json, where);
            if (type.startsWith(PROBLEM_JSON)) {
                assertThat(json.path("status").asInt()).as("the problem's status in %s", where).isEqualTo(status);
            }
        }
        return template;
    }

    public void assertValid(JsonNode schema, JsonNode value, String where) {
        List<Error> errors = errors(schema, value);
        if (!errors.isEmpty()) {
            fail("%s does not match its schema: %s", where, errors);
        }
    }

    /** What is wrong with {@code value} by {@code schema} (which may refer to the document's components). */
    public List<Error> errors(JsonNode schema, JsonNode value) {
        ObjectNode root = schema.deepCopy();
        root.set("components", doc.path("components"));
        Schema compiled = schemas.getSchema(root);
        return compiled.validate(value);
    }

    public static JsonNode ref(String schemaName) {
        ObjectNode ref = JSON.createObjectNode();
        ref.put("$ref", "#/components/schemas/" + schemaName);
        return ref;
    }

    public JsonNode operation(String method, String template) {
        JsonNode op = doc.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        assertThat(op.isMissingNode()).as("%s %s is documented", method, template).isFalse();
        return op;
    }

    /** The documented response for the status, with a $ref to components/responses resolved; null if none. */
    public JsonNode response(JsonNode op, int status) {
        JsonNode response = op.path("responses").path(Integer.toString(status));
        if (response.isMissingNode()) {
            return null;
        }
        return resolve(response);
    }

    /** The documented statuses of an operation. */
    public List<Integer> statuses(String method, String template) {
        List<Integer> statuses = new ArrayList<>();
        operation(method, template).path("responses").fieldNames().forEachRemaining(s -> statuses.add(Integer.parseInt(s)));
        return statuses;
    }

    /** The documented media type entry matching a Content-Type header (parameters ignored), or null. */
    public static JsonNode contentOf(JsonNode response, String contentType) {
        if (contentType == null) {
            return null;
        }
        String bare = contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        JsonNode media = response.path("content").path(bare);
        return media.isMissingNode() ? null : media;
    }

    /** The documented template a concrete path falls under; keys and lock names may contain slashes. */
    public String templateOf(String path) {
        return templates.stream().filter(t -> matches(t, path)).findFirst().orElse(null);
    }

    public static boolean matches(String template, String path) {
        String regex = Pattern.quote(template)
                .replace("{key}", "\\E.+\\Q").replace("{name}", "\\E.+\\Q").replaceAll("\\{[a-zA-Z]+}", "\\\\E[^/]+\\\\Q");
        return Pattern.matches(regex, path);
    }

    /** Calls {@code action} with (METHOD, template) for every documented operation. */
    public void forEachOperation(BiConsumer<String, String> action) {
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

    private JsonNode resolve(JsonNode node) {
        if (!node.has("$ref")) {
            return node;
        }
        String[] ref = node.path("$ref").asText().substring("#/".length()).split("/");
        JsonNode target = doc;
        for (String part : ref) {
            target = target.path(part);
        }
        return target;
    }

    private JsonNode headerSchema(JsonNode header) {
        return resolve(header).path("schema");
    }

    /** A header's text as the JSON value its schema types (Retry-After is an integer). */
    private static JsonNode headerValue(JsonNode schema, String value) {
        if (schema.path("type").asText().equals("integer")) {
            try {
                return JSON.getNodeFactory().numberNode(Long.parseLong(value.strip()));
            } catch (NumberFormatException e) {
                return TextNode.valueOf(value);
            }
        }
        return TextNode.valueOf(value);
    }

    private static JsonNode json(byte[] body, String where) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + where, e);
        }
    }
}
