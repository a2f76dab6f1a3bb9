package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@HelidonTest
@Tag("api")
class WatchApiTest extends ApiTestBase {
    private static final Duration EVENT_DEADLINE = Duration.ofSeconds(10);

    @Test
    void aWatchStreamsOneEventPerChangeUnderItsPrefix() throws Exception {
        String prefix = Api.unique("watched") + "/";
        try (SseStream stream = SseStream.open(api, "/v1/config/watch?prefix=" + prefix, Map.of())) {
            assertThat(stream.contentType()).startsWith("text/event-stream");
            long put = api.put("/v1/config/" + prefix + "a").text("1").send().json().path("revision").asLong();
            api.put("/v1/config/other-" + prefix + "a").text("ignored").send();
            byte[] binary = {(byte) 0xc3, 0x28};
            long binaryPut = api.put("/v1/config/" + prefix + "b").body("application/octet-stream", binary).send()
                    .json().path("revision").asLong();
            long deleted = api.delete("/v1/config/" + prefix + "a").send().json().path("revision").asLong();

            SseStream.Event first = stream.next(EVENT_DEADLINE);
            assertThat(first.id()).isEqualTo(Long.toString(put));
            assertThat(first.name()).isEqualTo("PUT");
            JsonNode data = Api.JSON.readTree(first.data());
            assertThat(data.path("type").asText()).isEqualTo("PUT");
            assertThat(data.path("key").asText()).isEqualTo(prefix + "a");
            assertThat(data.path("value").asText()).isEqualTo("1");
            assertThat(data.path("modRevision").asLong()).isEqualTo(put);
            assertThat(data.path("version").asLong()).isEqualTo(1);

            SseStream.Event second = stream.next(EVENT_DEADLINE);
            assertThat(second.id()).isEqualTo(Long.toString(binaryPut));
            assertThat(Api.JSON.readTree(second.data()).path("valueBase64").asText()).isEqualTo("wyg=");

            SseStream.Event third = stream.next(EVENT_DEADLINE);
            assertThat(third.name()).isEqualTo("DELETE");
            assertThat(third.id()).isEqualTo(Long.toString(deleted));
            JsonNode delete = Api.JSON.readTree(third.data());
            assertThat(delete.has("value")).isFalse();
            assertThat(delete.path("version").asLong()).isZero();
            assertThat(stream.poll(Duration.ofMillis(300))).isNull();
        }
    }

    @Test
    void aWatchResumesFromARevisionOrTheLastEventId() throws Exception {
        String prefix = Api.unique("resume") + "/";
        long r1 = api.put("/v1/config/" + prefix + "k").text("1").send().json().path("revision").asLong();
        long r2 = api.put("/v1/config/" + prefix + "k").text("2").send().json().path("revision").asLong();
        long r3 = api.put("/v1/config/" + prefix + "k").text("3").send().json().path("revision").asLong();

        try (SseStream stream = SseStream.open(api, "/v1/config/watch?prefix=" + prefix + "&fromRevision=" + r1, Map.of())) {
            assertThat(stream.next(EVENT_DEADLINE).id()).isEqualTo(Long.toString(r1));
            assertThat(stream.next(EVENT_DEADLINE).id()).isEqualTo(Long.toString(r2));
            assertThat(stream.next(EVENT_DEADLINE).id()).isEqualTo(Long.toString(r3));
            long r4 = api.put("/v1/config/" + prefix + "k").text("4").send().json().path("revision").asLong();
            SseStream.Event live = stream.next(EVENT_DEADLINE);
            assertThat(live.id()).isEqualTo(Long.toString(r4));
            assertThat(Api.JSON.readTree(live.data()).path("value").asText()).isEqualTo("4");
        }
        try (SseStream stream = SseStream.open(api, "/v1/config/watch?prefix=" + prefix, Map.of("Last-Event-ID", Long.toString(r2)))) {
            assertThat(stream.next(EVENT_DEADLINE).id()).isEqualTo(Long.toString(r3));
        }
    }

    @Test
    void invalidWatchesAre400NamingTheField() {
        assertProblem(api.get("/v1/config/watch?fromRevision=0").send(), 400, "fromRevision");
        assertProblem(api.get("/v1/config/watch?fromRevision=soon").send(), 400, "fromRevision");
        assertProblem(api.get("/v1/config/watch?prefix=a/../b").send(), 400, "prefix");
        assertProblem(api.get("/v1/config/watch").header("Last-Event-ID", "yesterday").send(), 400, "Last-Event-ID");
    }
}
