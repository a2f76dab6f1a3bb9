package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.server.ServerCdiExtension;
import io.latchkey.client.LatchkeyClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the API test classes share: a client for the node this class's container started,
 * ready to take writes before the first test, and assertions on problem answers.
 */
abstract class ApiTestBase {
    private static final Set<Integer> WRITABLE_PORTS = ConcurrentHashMap.newKeySet();

    @Inject
    ServerCdiExtension server;

    Api api;
    private LatchkeyClient client;

    @BeforeEach
    void connect() {
        api = new Api(server.port());
        if (!WRITABLE_PORTS.contains(server.port())) {
            api.awaitWritable();
            WRITABLE_PORTS.add(server.port());
        }
    }

    /** The Java client on this node, for tests of what the API does rather than of its HTTP. */
    LatchkeyClient client() {
        if (client == null) {
            client = LatchkeyClient.builder().endpoints(api.base()).retryTimeout(Api.UNAVAILABLE_DEADLINE).build();
        }
        return client;
    }

    @AfterEach
    void closeClient() {
        if (client != null) {
            client.close();
            // The container may keep this instance for the next test.
            client = null;
        }
    }

    /** Asserts an RFC 9457 answer with this status that names {@code field} (null: names none). */
    static JsonNode assertProblem(Api.Reply reply, int status, String field) {
        assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
        assertThat(reply.contentType()).as("content type of %s", reply).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asText()).isNotEmpty();
        if (field != null) {
            assertThat(problem.path("field").asText()).as("field of %s", reply).isEqualTo(field);
        }
        return problem;
    }

    static Api.Reply assertStatus(Api.Reply reply, int status) {
        assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
        return reply;
    }

    /** Grants a lease and returns its id. */
    long grantLease(long ttlSeconds) {
        return assertStatus(api.post("/v1/leases").json(Api.object("ttlSeconds", ttlSeconds)).send(), 201)
                .json().path("id").asLong();
    }
}
