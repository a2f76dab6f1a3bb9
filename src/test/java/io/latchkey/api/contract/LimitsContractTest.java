package io.latchkey.api.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.state.Limits;
import io.latchkey.testing.Await;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The answers of the limits, held to the document: a lock with 1,024 waiters refuses the next
 * (429), and a watch that resumes from before the kept history is told so (410; this node keeps
 * only 5 events).
 */
@HelidonTest
@AddConfig(key = "latchkey.state.history-events-count-max", value = "5")
@Tag("api")
class LimitsContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TYPE = "application/json";
    /**
     * How long each waiter stays queued: long enough for all of them to queue on a busy machine
     * (checked below), short enough that the test does not idle for minutes.
     */
    private static final long WAITER_WAIT_MILLIS = 20_000;

    @Inject
    ServerCdiExtension server;

    private OpenApiDocument doc;
    private ContractClient client;
    private String prefix;

    @BeforeEach
    void connect() {
        doc = OpenApiDocument.load();
        client = new ContractClient(doc, "http://127.0.0.1:" + server.port());
        prefix = "limits-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + "/";
        ContractRequests.Request grant = new ContractRequests.Request("POST", "/v1/leases", TYPE, "{\"ttlSeconds\":5}");
        Await.until(Duration.ofSeconds(60), "the node takes writes", () -> client.send(grant).statusCode() == 201);
    }

    @Test
    void aLockWithTheMostWaiters_refusesTheNextWith429() throws Exception {
        String lock = "/v1/locks/" + prefix + "crowded";
        JsonNode held = json(client.check(acquire(lock, "{\"ttlSeconds\":300}"), 200));

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://127.0.0.1:" + server.port();
        List<CompletableFuture<HttpResponse<byte[]>>> waiters = new ArrayList<>();
        for (int i = 0; i < Limits.LOCK_WAITERS_COUNT_MAX; i++) {
            ContractRequests.Request wait = acquire(lock, "{\"ttlSeconds\":60,\"waitMillis\":" + WAITER_WAIT_MILLIS + "}");
            waiters.add(http.sendAsync(wait.toHttp(base, Duration.ofMinutes(2)), HttpResponse.BodyHandlers.ofByteArray()));
        }
        ContractRequests.Request read = new ContractRequests.Request("GET", lock + "?consistency=serializable", null, null);
        Await.until(Duration.ofMillis(WAITER_WAIT_MILLIS / 2), Limits.LOCK_WAITERS_COUNT_MAX + " waiters queued",
                () -> json(client.send(read)).path("waiters").size() == Limits.LOCK_WAITERS_COUNT_MAX);

        JsonNode refused = json(client.check(acquire(lock, "{\"ttlSeconds\":5,\"waitMillis\":1000}"), 429));
        assertThat(refused.path("field").asText()).isEqualTo("name");
        // A try-lock is refused for being held before it would be counted as a waiter.
        client.check(acquire(lock, "{\"ttlSeconds\":5}"), 409);

        // The holder keeps the lock, so every waiter gives up when its wait ends.
        for (CompletableFuture<HttpResponse<byte[]>> waiter : waiters) {
            assertThat(waiter.join().statusCode()).isEqualTo(409);
        }
        client.check(new ContractRequests.Request("DELETE", "/v1/leases/" + held.path("leaseId").asLong(), null, null), 204);
    }

    @Test
    void aWatchFromBeforeTheKeptHistory_is410() {
        String key = "/v1/config/" + prefix + "busy";
        ContractRequests.Request put = new ContractRequests.Request("PUT", key, "text/plain", "v");
        long first = json(client.check(put, 200)).path("revision").asLong();
        for (int i = 0; i < 6; i++) {
            client.check(put, 200);
        }
        JsonNode gone = json(client.check(new ContractRequests.Request("GET",
                "/v1/config/watch?prefix=" + prefix + "&fromRevision=" + first, null, null), 410));
        assertThat(gone.path("field").asText()).isEqualTo("fromRevision");
    }

    private static ContractRequests.Request acquire(String lock, String body) {
        return new ContractRequests.Request("POST", lock, TYPE, body);
    }

    private static JsonNode json(HttpResponse<byte[]> answer) {
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + answer, e);
        }
    }
}
