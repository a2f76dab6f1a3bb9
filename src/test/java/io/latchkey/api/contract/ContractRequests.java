package io.latchkey.api.contract;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One well-formed request for every operation under /v1, for the tests of answers that do not
 * depend on the request (no leader, a node that did not start, a leader that lost its quorum):
 * each request passes the checks at the edge, so the answer is about the node, not the input.
 */
public final class ContractRequests {
    private static final String JSON = "application/json";

    /** A request: {@code path} may carry a query; {@code body} is null for none. */
    public record Request(String method, String path, String contentType, String body) {
        public String pathWithoutQuery() {
            return path.split("\\?")[0];
        }

        public HttpRequest toHttp(String baseUrl, Duration timeout) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            return b.build();
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private ContractRequests() {
    }

    /**
     * "METHOD template" -> a request, for every /v1 operation the document lists; fails if the
     * document lists one this table lacks, so a new operation cannot escape these tests.
     */
    public static Map<String, Request> everyV1Operation(OpenApiDocument doc, String prefix) {
        Map<String, Request> requests = new LinkedHashMap<>();
        put(requests, "GET", "/v1/config", "/v1/config?prefix=" + prefix, null, null);
        put(requests, "GET", "/v1/config/{key}", "/v1/config/" + prefix + "key", null, null);
        put(requests, "PUT", "/v1/config/{key}", "/v1/config/" + prefix + "key", "text/plain", "v");
        put(requests, "DELETE", "/v1/config/{key}", "/v1/config/" + prefix + "key", null, null);
        put(requests, "GET", "/v1/config/watch", "/v1/config/watch?prefix=" + prefix, null, null);
        put(requests, "GET", "/v1/locks", "/v1/locks?prefix=" + prefix, null, null);
        put(requests, "POST", "/v1/locks/{name}", "/v1/locks/" + prefix + "lock", JSON, "{\"ttlSeconds\":5}");
        put(requests, "DELETE", "/v1/locks/{name}", "/v1/locks/" + prefix + "lock?token=1", null, null);
        put(requests, "GET", "/v1/locks/{name}", "/v1/locks/" + prefix + "lock", null, null);
        put(requests, "POST", "/v1/leases", "/v1/leases", JSON, "{\"ttlSeconds\":5}");
        put(requests, "GET", "/v1/leases/{id}", "/v1/leases/1", null, null);
        put(requests, "DELETE", "/v1/leases/{id}", "/v1/leases/1", null, null);
        put(requests, "POST", "/v1/leases/{id}/keepalive", "/v1/leases/1/keepalive", null, null);
        put(requests, "GET", "/v1/cluster", "/v1/cluster", null, null);
        put(requests, "POST", "/v1/cluster/members", "/v1/cluster/members", JSON,
                "{\"peerUrl\":\"http://127.0.0.1:1\",\"clientUrl\":\"http://127.0.0.1:2\"}");
        put(requests, "DELETE", "/v1/cluster/members/{id}", "/v1/cluster/members/1", null, null);
        put(requests, "POST", "/v1/cluster/members/{id}/promote", "/v1/cluster/members/1/promote", null, null);
        put(requests, "POST", "/v1/cluster/leader", "/v1/cluster/leader", JSON, "{\"id\":\"1\"}");
        put(requests, "GET", "/v1/maintenance/snapshot", "/v1/maintenance/snapshot", null, null);

        Set<String> documented = new TreeSet<>();
        doc.forEachOperation((method, template) -> {
            if (template.startsWith("/v1")) {
                documented.add(method + " " + template);
            }
        });
        assertThat(requests.keySet()).as("a request for every /v1 operation").containsExactlyInAnyOrderElementsOf(documented);
        for (Map.Entry<String, Request> e : requests.entrySet()) {
            assertThat(e.getKey()).as("the template %s falls under", e.getValue())
                    .isEqualTo(e.getValue().method() + " " + doc.templateOf(e.getValue().pathWithoutQuery()));
        }
        return requests;
    }

    /** The requests of {@code operations} ("METHOD template") from {@link #everyV1Operation}. */
    public static List<Request> of(Map<String, Request> all, String... operations) {
        return java.util.Arrays.stream(operations).map(op -> {
            Request r = all.get(op);
            assertThat(r).as("a request for %s", op).isNotNull();
            return r;
        }).toList();
    }

    private static void put(Map<String, Request> requests, String method, String template, String path,
                            String contentType, String body) {
        requests.put(method + " " + template, new Request(method, path, contentType, body));
    }
}
