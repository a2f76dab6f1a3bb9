package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.api.contract.OpenApiDocument;
import io.latchkey.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits a node holds to its clients, over real sockets: request bodies (refused while
 * read, never buffered whole), requests in flight, the state quota (keys, leases and locks) and the time an
 * idempotency key is remembered. Raw HTTP: the limits are HTTP's (413, 503 with Retry-After, headers).
 */
@HelidonTest
@AddConfig(key = "latchkey.api.request-body-bytes-max", value = "1200000")
@AddConfig(key = "latchkey.api.requests-in-flight-max", value = "4")
@AddConfig(key = "latchkey.state.history-size-bytes-max", value = "1049152")
@AddConfig(key = "latchkey.state.quota-bytes", value = "3147456")
@AddConfig(key = "latchkey.state.idempotency-ttl-seconds", value = "1")
@Tag("api")
class RequestLimitsApiTest extends ApiTestBase {
    private static final long FIFTY_MIB = 50L * 1024 * 1024;
    private static final OpenApiDocument DOC = OpenApiDocument.load();

    @Test
    void aDeclaredBodyBeyondTheLimitIsRefusedBeforeAByteOfItIsRead() throws IOException {
        try (Socket socket = openSocket()) {
            String head = "PUT /v1/config/" + Api.unique("big") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: " + FIFTY_MIB + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            RawReply reply = RawReply.read(socket.getInputStream());

            assertThat(reply.status()).isEqualTo(413);
            reply.checkAgainst("PUT", "/v1/config/big");
            assertThat(reply.header("connection")).isEqualToIgnoringCase("close");
            JsonNode problem = Api.JSON.readTree(reply.body());
            assertThat(problem.path("field").asText()).isEqualTo("body");
            assertThat(problem.path("detail").asText()).contains("latchkey.api.request-body-bytes-max");
            // The body was never read: sent now, it is taken for the next request, refused, and
            // the connection closes under the sender long before 50 MiB went out.
            AtomicLong sentBytes = new AtomicLong();
            sendUntilRefused(socket, sentBytes, false);
            assertThat(sentBytes.get()).as("bytes the client got to send").isLessThan(FIFTY_MIB);
        }
    }

    @Test
    void anEndlessChunkedBodyIsCutOffAtTheLimit() throws Exception {
        String json = "application/json";
        for (String[] request : List.of(new String[] {"PUT", "/v1/config/" + Api.unique("chunked"), "application/octet-stream"},
                new String[] {"POST", "/v1/leases", json}, new String[] {"POST", "/v1/locks/" + Api.unique("chunked"), json},
                new String[] {"POST", "/v1/cluster/members", json}, new String[] {"POST", "/v1/cluster/leader", json})) {
            try (Socket socket = openSocket()) {
                String head = request[0] + " " + request[1] + " HTTP/1.1\r\nContent-Type: " + request[2]
                        + "\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
                socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                AtomicLong sentBytes = new AtomicLong();
                CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> sendUntilRefused(socket, sentBytes, true));

                RawReply reply = RawReply.read(socket.getInputStream());

                assertThat(reply.status()).as(request[1]).isEqualTo(413);
                assertThat(Api.JSON.readTree(reply.body()).path("field").asText()).isEqualTo("body");
                reply.checkAgainst(request[0], request[1]);
                sender.get(60, java.util.concurrent.TimeUnit.SECONDS);
                // The node stopped reading at the limit: what was sent beyond it sits in socket
                // buffers (a few MiB at most) until the connection closed under the sender.
                assertThat(sentBytes.get()).as("bytes the client got to send").isLessThan(FIFTY_MIB);
            }
        }
        assertStatus(api.get("/v1/cluster").send(), 200);
    }

    @Test
    void requestsBeyondTheInFlightBoundAre503WithRetryAfter_andTheSlotsComeBack() {
        // Answers that take no slot for long: unknown paths, operations outside /v1.
        for (String path : List.of("/v1/nothing", "/nothing", "/health/ready", "/metrics", "/openapi")) {
            for (int i = 0; i < 4; i++) {
                api.get(path).once().send();
            }
        }
        String lock = "/v1/locks/" + Api.unique("crowded");
        long token = assertStatus(api.post(lock).json(Api.object("ttlSeconds", 60)).send(), 200).json().path("token").asLong();
        long waitsBefore = metric("latchkey_lock_waits");
        List<CompletableFuture<HttpResponse<String>>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            HttpRequest wait = HttpRequest.newBuilder(URI.create(api.base() + lock)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"ttlSeconds\":60,\"waitMillis\":4000}")).build();
            waiters.add(api.http().sendAsync(wait, HttpResponse.BodyHandlers.ofString()));
        }
        // Metrics are outside JAX-RS: they answer while every slot is taken.
        Await.until(Duration.ofSeconds(30), "4 acquires wait in the queue", () -> metric("latchkey_lock_waits") >= waitsBefore + 4);

        Api.Reply refused = api.get("/v1/cluster").once().send();

        JsonNode problem = assertProblem(refused, 503, null);
        DOC.checkAnswer("GET", "/v1/cluster", 503, refused.headers(), refused.body(), "GET /v1/cluster, saturated");
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(problem.path("detail").asText()).contains("latchkey.api.requests-in-flight-max");
        assertStatus(api.get("/health/ready").once().send(), 200);
        assertThat(waiters).allSatisfy(w -> assertThat(w.join().statusCode()).as("a waiter gives up, not refused").isEqualTo(409));
        assertStatus(api.delete(lock + "?token=" + token).send(), 204);
    }

    @Test
    void putsBeyondTheQuotaAre507WithAnAlarm_whileReadsAndDeletesGoOn() {
        String prefix = Api.unique("quota") + "/";
        byte[] value = new byte[300_000];
        List<String> stored = new ArrayList<>();
        Api.Reply reply;
        while ((reply = api.put("/v1/config/" + prefix + stored.size()).body("application/octet-stream", value).send()).status() == 200) {
            stored.add(prefix + stored.size());
        }

        JsonNode problem = assertProblem(reply, 507, "value");
        DOC.checkAnswer("PUT", "/v1/config/" + prefix + stored.size(), 507, reply.headers(), reply.body(), "PUT over the quota");
        assertThat(problem.path("detail").asText()).contains("latchkey.state.quota-bytes");
        assertThat(stored).isNotEmpty();
        Await.until(Duration.ofSeconds(10), "the alarm gauge is on", () -> metric("latchkey_state_quota_alarm") == 1);
        JsonNode quotaCheck = quotaCheck();
        assertThat(quotaCheck.path("status").asText()).as("never DOWN: a member out of service takes no deletes").isEqualTo("UP");
        assertThat(quotaCheck.path("data").path("alarm").asText()).contains("quota exceeded");
        assertStatus(api.get("/v1/config/" + stored.get(0)).send(), 200);

        for (String key : stored) {
            assertStatus(api.delete("/v1/config/" + key).send(), 200);
        }

        assertThat(quotaCheck().path("data").has("alarm")).isFalse();
        Await.until(Duration.ofSeconds(10), "the alarm gauge is off", () -> metric("latchkey_state_quota_alarm") == 0);
        assertStatus(api.put("/v1/config/" + prefix + "again").body("application/octet-stream", value).send(), 200);
        assertStatus(api.delete("/v1/config/" + prefix + "again").send(), 200);
    }

    @Test
    void leaseGrantsAndLockAcquiresBeyondTheQuotaAre507_whileReleasesAndRevokesGoOn() {
        String lock = "/v1/locks/" + Api.unique("held");
        long holder = grantLease(60);
        long token = assertStatus(api.post(lock).json(Api.object("leaseId", holder)).send(), 200).json().path("token").asLong();
        String prefix = Api.unique("quota-leases") + "/";
        List<String> stored = new ArrayList<>();
        for (int valueBytes : new int[] {300_000, 10_000, 300}) {
            byte[] value = new byte[valueBytes];
            while (api.put("/v1/config/" + prefix + stored.size()).body("application/octet-stream", value).send().status() == 200) {
                stored.add(prefix + stored.size());
            }
        }
        List<Long> leases = new ArrayList<>();
        Api.Reply grant;
        while ((grant = api.post("/v1/leases").json(Api.object("ttlSeconds", 60)).send()).status() == 201) {
            leases.add(grant.json().path("id").asLong());
        }

        JsonNode problem = assertProblem(grant, 507, null);
        DOC.checkAnswer("POST", "/v1/leases", 507, grant.headers(), grant.body(), "a lease grant over the quota");
        assertThat(problem.path("detail").asText()).contains("this lease grant needs up to").contains("latchkey.state.quota-bytes");
        assertThat(problem.has("field")).isFalse();
        String other = "/v1/locks/" + Api.unique("refused");
        Api.Reply acquire = api.post(other).json(Api.object("ttlSeconds", 60)).send();
        assertProblem(acquire, 507, null);
        DOC.checkAnswer("POST", "/v1/locks/refused", 507, acquire.headers(), acquire.body(), "a lock acquire over the quota");
        assertProblem(api.get(other).send(), 404, null);
        Await.until(Duration.ofSeconds(10), "the alarm gauge is on", () -> metric("latchkey_state_quota_alarm") == 1);

        assertStatus(api.delete(lock + "?token=" + token).send(), 204);
        assertStatus(api.delete("/v1/leases/" + holder).send(), 204);
        Await.until(Duration.ofSeconds(10), "the alarm gauge is off", () -> metric("latchkey_state_quota_alarm") == 0);
        for (long lease : leases) {
            assertStatus(api.delete("/v1/leases/" + lease).send(), 204);
        }
        for (String key : stored) {
            assertStatus(api.delete("/v1/config/" + key).send(), 200);
        }
        assertStatus(api.post(other).json(Api.object("ttlSeconds", 60)).send(), 200);
    }

    @Test
    void anIdempotencyKeyIsFreeForANewRequestOnceItsTimeIsUp() {
        String key = "/v1/config/" + Api.unique("ttl");
        String idem = Api.unique("request");
        assertStatus(api.put(key).header("Idempotency-Key", idem).text("first").send(), 200);
        assertProblem(api.put(key).header("Idempotency-Key", idem).text("second").send(), 422, "Idempotency-Key");

        Await.until(Duration.ofSeconds(20), "the key expires (TTL 1 s by the leader's clock)",
                () -> api.put(key).header("Idempotency-Key", idem).text("second").send().status() == 200);

        assertThat(api.get(key).send().json().path("value").asText()).isEqualTo("second");
    }

    private JsonNode quotaCheck() {
        for (JsonNode check : api.get("/health/live").once().send().json().path("checks")) {
            if (check.path("name").asText().equals("latchkey-state-quota")) {
                return check;
            }
        }
        throw new AssertionError("no latchkey-state-quota check in /health/live");
    }

    private long metric(String name) {
        Api.Reply metrics = api.get("/metrics?scope=application").once().send();
        Matcher m = Pattern.compile("(?m)^" + name + "(?:_total)?(?:\\{[^}]*})? ([0-9.eE+-]+)$").matcher(metrics.text());
        if (!m.find()) {
            throw new AssertionError("no metric " + name + " in " + metrics);
        }
        return (long) Double.parseDouble(m.group(1));
    }

    private Socket openSocket() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(30_000);
        return socket;
    }

    /** Sends 64 KiB blocks (as chunks, or raw) until the node closes the connection, or 50 MiB went out. */
    private static void sendUntilRefused(Socket socket, AtomicLong sentBytes, boolean chunked) {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) '7');
        byte[] size = chunked ? (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII) : new byte[0];
        byte[] end = chunked ? "\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[0];
        try {
            OutputStream out = socket.getOutputStream();
            while (sentBytes.get() < FIFTY_MIB) {
                out.write(size);
                out.write(chunk);
                out.write(end);
                sentBytes.addAndGet(chunk.length);
            }
        } catch (IOException e) {
            // The node closed the connection: what this test expects.
        }
    }

    /** An HTTP/1.1 answer read off a raw socket (Content-Length bodies only). */
    private record RawReply(int status, java.util.Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }

        /** Holds the answer to openapi.yaml, as the contract tests do. */
        void checkAgainst(String method, String path) {
            java.net.http.HttpHeaders httpHeaders = java.net.http.HttpHeaders.of(
                    headers.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                            java.util.Map.Entry::getKey, e -> List.of(e.getValue()))), (name, value) -> true);
            DOC.checkAnswer(method, path, status, httpHeaders, body, method + " " + path + " -> " + status);
        }

        static RawReply read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new SocketTimeoutException("the connection closed before an answer: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
            java.util.Map<String, String> headers = new java.util.TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new RawReply(Integer.parseInt(lines[0].split(" ")[1]), headers, body);
        }
    }
}
