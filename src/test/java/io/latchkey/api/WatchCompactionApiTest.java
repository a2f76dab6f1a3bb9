package io.latchkey.api;

import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A node that keeps only 5 watch events, so a resume from before them is 410. */
@HelidonTest
@AddConfig(key = "latchkey.state.history-events-count-max", value = "5")
@Tag("api")
class WatchCompactionApiTest extends ApiTestBase {

    @Test
    void resumingFromBeforeTheKeptHistoryIs410() {
        String key = Api.unique("compacted");
        long first = api.put("/v1/config/" + key).text("0").send().json().path("revision").asLong();
        long last = first;
        for (int i = 1; i <= 6; i++) {
            last = assertStatus(api.put("/v1/config/" + key).text(Integer.toString(i)).send(), 200).json().path("revision").asLong();
        }
        assertProblem(api.get("/v1/config/watch?fromRevision=" + first).send(), 410, "fromRevision");
        assertProblem(api.get("/v1/config/watch").header("Last-Event-ID", Long.toString(first)).send(), 410, "fromRevision");

        try (SseStream stream = SseStream.open(api, "/v1/config/watch?prefix=" + key + "&fromRevision=" + last, Map.of())) {
            assertThat(stream.next(Duration.ofSeconds(10)).id()).isEqualTo(Long.toString(last));
        }
    }
}
