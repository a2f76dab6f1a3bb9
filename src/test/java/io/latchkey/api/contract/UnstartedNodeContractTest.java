package io.latchkey.api.contract;

import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A node that did not start (its storage schema is not an SQL identifier) answers every /v1
 * operation with the documented 503 and Retry-After, and its health checks with the documented
 * 503 HealthDown.
 */
@HelidonTest
@AddConfig(key = "latchkey.storage.schema", value = "Not-An-Identifier")
@Tag("api")
class UnstartedNodeContractTest {
    @Inject
    ServerCdiExtension server;

    @Test
    void everyOperationAnswersTheDocumented503() {
        OpenApiDocument doc = OpenApiDocument.load();
        ContractClient client = new ContractClient(doc, "http://127.0.0.1:" + server.port());
        for (ContractRequests.Request request : ContractRequests.everyV1Operation(doc, "unstarted/").values()) {
            client.check(request, 503);
        }
        for (String path : List.of("/health", "/health/ready", "/health/started", "/health/live")) {
            client.check(new ContractRequests.Request("GET", path, null, null), 503);
        }
    }
}
