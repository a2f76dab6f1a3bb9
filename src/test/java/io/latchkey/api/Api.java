package io.latchkey.api;

import io.latchkey.api.contract.ContractRequests;
import io.latchkey.testing.Await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * A small HTTP client for the API tests: raw requests with java.net.http, JSON with Jackson,
 * and retries of 503 answers (a node answers 503 until it leads and has renewed its leases).
 * Raw on purpose: these tests check the wire contract itself (status codes, headers, problem+json,
 * media types, idempotency headers); tests of behaviour use the Java client ({@link ApiTestBase#client()}).
 */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    /** How long a request keeps being retried while the node answers 503. */
    static final Duration UNAVAILABLE_DEADLINE = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    Api(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    String base() {
        return base;
    }

    HttpClient http() {
        return http;
    }

    /** A reply with its body kept as bytes. */
    record Reply(int status, java.net.http.HttpHeaders headers, byte[] body) {
        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String contentType() {
            return header("Content-Type");
        }

        @Override
        public String toString() {
            return status + " " + headers.map() + " " + text();
        }
    }

    /** A request under construction. */
    final class Call {
        private final String method;
        private final String path;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] body;
        private boolean retryUnavailable = true;
        private Duration timeout = Duration.ofSeconds(30);

        private Call(String method, String path) {
            this.method = method;
            this.path = path;
        }

        String path() {
            return path;
        }

        Call header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Call json(Object body) {
            try {
                this.body = body instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return header("Content-Type", "application/json");
        }

        Call body(String contentType, byte[] bytes) {
            this.body = bytes;
            return header("Content-Type", contentType);
        }

        Call text(String value) {
            return body("text/plain", value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** Sends once, without retrying a 503 (for the tests of 503 itself). */
        Call once() {
            retryUnavailable = false;
            return this;
        }

        Call timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        Reply send() {
            Instant deadline = Instant.now().plus(UNAVAILABLE_DEADLINE);
            while (true) {
                Reply reply = sendOnce();
                if (reply.status() != 503 || !retryUnavailable || Instant.now().isAfter(deadline)) {
                    return reply;
                }
                Await.pause(Duration.ofMillis(50));
            }
        }

        private Reply sendOnce() {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(request::header);
            try {
                HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                return new Reply(response.statusCode(), response.headers(), response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    Call get(String path) {
        return new Call("GET", path);
    }

    Call post(String path) {
        return new Call("POST", path);
    }

    Call put(String path) {
        return new Call("PUT", path);
    }

    Call delete(String path) {
        return new Call("DELETE", path);
    }

    /** The call a contract request describes (method, path with query, body). */
    Call call(ContractRequests.Request request) {
        Call call = new Call(request.method(), request.path());
        return request.body() == null ? call
                : call.body(request.contentType(), request.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static ObjectNode object(Object... keysAndValues) {
        ObjectNode node = JSON.createObjectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            node.set((String) keysAndValues[i], JSON.valueToTree(keysAndValues[i + 1]));
        }
        return node;
    }

    /** Waits until the node is ready and takes writes (a lease can be granted), or fails. */
    Api awaitWritable() {
        awaitCondition(Duration.ofSeconds(60), "the node becomes ready",
                () -> get("/health/ready").once().send().status() == 200);
        Reply lease = post("/v1/leases").json(object("ttlSeconds", 5)).send();
        if (lease.status() != 201) {
            throw new AssertionError("the node does not take writes: " + lease);
        }
        return this;
    }

    /** A name no other test uses, so tests do not depend on each other or on a fresh node. */
    static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    static void awaitCondition(Duration timeout, String what, BooleanSupplier condition) {
        Await.until(timeout, what, condition);
    }
}
