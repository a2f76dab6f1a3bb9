package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

@HelidonTest
@Tag("api")
class ConfigApiTest extends ApiTestBase {

    @Test
    void aPutKeyReadsBackAsJsonWithItsRevisionsAndAnEtag() {
        String key = Api.unique("app") + "/db/url";
        JsonNode written = assertStatus(api.put("/v1/config/" + key).text("jdbc:x").send(), 200).json();
        assertThat(written.path("key").asText()).isEqualTo(key);
        assertThat(written.path("version").asLong()).isEqualTo(1);
        long revision = written.path("revision").asLong();

        Api.Reply read = assertStatus(api.get("/v1/config/" + key).send(), 200);
        assertThat(read.contentType()).startsWith("application/json");
        assertThat(read.header("ETag")).isEqualTo("\"" + revision + "\"");
        JsonNode kv = read.json();
        assertThat(kv.path("value").asText()).isEqualTo("jdbc:x");
        assertThat(kv.has("valueBase64")).isFalse();
        assertThat(kv.path("createRevision").asLong()).isEqualTo(revision);
        assertThat(kv.path("modRevision").asLong()).isEqualTo(revision);
        assertThat(kv.path("version").asLong()).isEqualTo(1);
        assertThat(kv.path("revision").asLong()).isGreaterThanOrEqualTo(revision);

        JsonNode second = assertStatus(api.put("/v1/config/" + key).text("jdbc:y").send(), 200).json();
        assertThat(second.path("version").asLong()).isEqualTo(2);
        assertThat(second.path("revision").asLong()).isGreaterThan(revision);
        JsonNode again = api.get("/v1/config/" + key).send().json();
        assertThat(again.path("createRevision").asLong()).isEqualTo(revision);
        assertThat(again.path("modRevision").asLong()).isEqualTo(second.path("revision").asLong());
    }

    @ParameterizedTest
    @CsvSource({"linearizable", "lease", "serializable"})
    void everyConsistencyReadsTheKey(String consistency) {
        String key = Api.unique("consistency");
        assertStatus(api.put("/v1/config/" + key).text("v").send(), 200);
        JsonNode kv = assertStatus(api.get("/v1/config/" + key + "?consistency=" + consistency).send(), 200).json();
        assertThat(kv.path("value").asText()).isEqualTo("v");
    }

    @Test
    void rawValueWithTextOrOctetAcceptCarriesTheRevisionInTheEtag() {
        String key = Api.unique("raw");
        long revision = api.put("/v1/config/" + key).text("héllo").send().json().path("revision").asLong();

        Api.Reply text = assertStatus(api.get("/v1/config/" + key).header("Accept", "text/plain").send(), 200);
        assertThat(text.contentType()).startsWith("text/plain");
        assertThat(text.text()).isEqualTo("héllo");
        assertThat(text.header("ETag")).isEqualTo("\"" + revision + "\"");

        Api.Reply octets = assertStatus(api.get("/v1/config/" + key).header("Accept", "application/octet-stream").send(), 200);
        assertThat(octets.contentType()).startsWith("application/octet-stream");
        assertThat(octets.body()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
        assertThat(octets.header("ETag")).isEqualTo("\"" + revision + "\"");
    }

    @Test
    void bytesThatAreNotUtf8ComeBackAsValueBase64AndRawAsTheyWere() {
        String key = Api.unique("binary");
        byte[] bytes = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41};
        assertStatus(api.put("/v1/config/" + key).body("application/octet-stream", bytes).send(), 200);

        JsonNode kv = api.get("/v1/config/" + key).send().json();
        assertThat(kv.has("value")).isFalse();
        assertThat(kv.path("valueBase64").asText()).isEqualTo("//4AQQ==");
        assertThat(api.get("/v1/config/" + key).header("Accept", "application/octet-stream").send().body()).isEqualTo(bytes);
    }

    @Test
    void anEmptyBodyStoresAnEmptyValue() {
        String key = Api.unique("empty");
        assertStatus(api.put("/v1/config/" + key).body("application/octet-stream", new byte[0]).send(), 200);
        assertThat(api.get("/v1/config/" + key).send().json().path("value").asText()).isEmpty();
    }

    @Test
    void aValueOfExactlyOneMebibyteIsTakenAndOneByteMoreIs413() {
        String key = Api.unique("big");
        byte[] max = new byte[1024 * 1024];
        Arrays.fill(max, (byte) 'x');
        assertStatus(api.put("/v1/config/" + key).body("application/octet-stream", max).send(), 200);
        assertThat(api.get("/v1/config/" + key).header("Accept", "application/octet-stream").send().body()).hasSize(max.length);

        byte[] tooBig = new byte[1024 * 1024 + 1];
        assertProblem(api.put("/v1/config/" + key + "-2").body("application/octet-stream", tooBig).send(), 413, "value");
        assertProblem(api.get("/v1/config/" + key + "-2").send(), 404, "key");
    }

    @Test
    void expectedRevisionIsACompareAndSet() {
        String key = Api.unique("cas");
        JsonNode created = assertStatus(api.put("/v1/config/" + key + "?expectedRevision=0").text("1").send(), 200).json();
        long revision = created.path("revision").asLong();

        assertProblem(api.put("/v1/config/" + key + "?expectedRevision=0").text("2").send(), 412, "expectedRevision");
        assertProblem(api.put("/v1/config/" + key + "?expectedRevision=" + (revision + 1000)).text("2").send(), 412,
                "expectedRevision");
        JsonNode swapped = assertStatus(api.put("/v1/config/" + key + "?expectedRevision=" + revision).text("2").send(), 200).json();
        assertThat(swapped.path("version").asLong()).isEqualTo(2);

        assertProblem(api.delete("/v1/config/" + key + "?expectedRevision=" + revision).send(), 412, "expectedRevision");
        JsonNode deleted = assertStatus(api.delete("/v1/config/" + key + "?expectedRevision="
                + swapped.path("revision").asLong()).send(), 200).json();
        assertThat(deleted.path("version").asLong()).isZero();
        assertThat(deleted.path("revision").asLong()).isGreaterThan(swapped.path("revision").asLong());
        assertProblem(api.get("/v1/config/" + key).send(), 404, "key");
    }

    @Test
    void aFencedWriteNeedsTheCurrentTokenOfTheLock() {
        String lock = Api.unique("fence-lock");
        String key = Api.unique("fenced");
        long token = assertStatus(api.post("/v1/locks/" + lock).json(Api.object("ttlSeconds", 30)).send(), 200)
                .json().path("token").asLong();

        assertStatus(api.put("/v1/config/" + key + "?lock=" + lock + "&token=" + token).text("a").send(), 200);
        assertProblem(api.put("/v1/config/" + key + "?lock=" + lock + "&token=" + (token + 1)).text("b").send(), 412, "token");

        assertStatus(api.delete("/v1/locks/" + lock + "?token=" + token).send(), 204);
        assertProblem(api.put("/v1/config/" + key + "?lock=" + lock + "&token=" + token).text("c").send(), 412, "token");
        assertProblem(api.delete("/v1/config/" + key + "?lock=" + lock + "&token=" + token).send(), 412, "token");
        assertThat(api.get("/v1/config/" + key).send().json().path("value").asText()).isEqualTo("a");
    }

    @Test
    void aKeyOnALeaseGoesWithTheLease() {
        long lease = grantLease(30);
        String key = Api.unique("leased");
        assertStatus(api.put("/v1/config/" + key + "?leaseId=" + lease).text("v").send(), 200);
        assertThat(api.get("/v1/config/" + key).send().json().path("leaseId").asLong()).isEqualTo(lease);
        assertThat(api.get("/v1/leases/" + lease).send().json().path("keys")).extracting(JsonNode::asText).containsExactly(key);

        assertStatus(api.delete("/v1/leases/" + lease).send(), 204);
        assertProblem(api.get("/v1/config/" + key).send(), 404, "key");
        assertProblem(api.put("/v1/config/" + key + "?leaseId=" + lease).text("v").send(), 404, "leaseId");
    }

    @Test
    void listingByPrefixIsInKeyOrderAndPaged() {
        String prefix = Api.unique("list") + "/";
        for (String name : new String[] {"c", "a", "b"}) {
            assertStatus(api.put("/v1/config/" + prefix + name).text(name).send(), 200);
        }
        assertStatus(api.put("/v1/config/" + prefix.substring(0, prefix.length() - 1) + "x").text("outside").send(), 200);

        JsonNode all = assertStatus(api.get("/v1/config?prefix=" + prefix).send(), 200).json();
        assertThat(all.path("keys")).extracting(k -> k.path("key").asText())
                .containsExactly(prefix + "a", prefix + "b", prefix + "c");
        assertThat(all.path("more").asBoolean()).isFalse();
        assertThat(all.path("revision").asLong()).isPositive();

        JsonNode page = api.get("/v1/config?prefix=" + prefix + "&limit=2&consistency=serializable").send().json();
        assertThat(page.path("keys")).hasSize(2);
        assertThat(page.path("more").asBoolean()).isTrue();
        assertThat(assertStatus(api.get("/v1/config").send(), 200).json().path("keys").size()).isPositive();
    }

    @Test
    void theKeyNamedWatchCanBeWrittenAndDeleted() {
        api.delete("/v1/config/watch").send();
        assertStatus(api.put("/v1/config/watch?expectedRevision=0").text("w").send(), 200);
        JsonNode listed = api.get("/v1/config?prefix=watch&limit=1").send().json();
        assertThat(listed.path("keys").get(0).path("key").asText()).isEqualTo("watch");
        assertStatus(api.delete("/v1/config/watch").send(), 200);
        assertProblem(api.delete("/v1/config/watch").send(), 404, "key");
    }

    @Test
    void anIdempotencyKeyAppliesARetriedWriteOnce() {
        String key = Api.unique("idem");
        String idem = Api.unique("request");
        JsonNode first = assertStatus(api.put("/v1/config/" + key).header("Idempotency-Key", idem).text("one").send(), 200).json();
        JsonNode retry = assertStatus(api.put("/v1/config/" + key).header("Idempotency-Key", idem).text("one").send(), 200).json();
        assertThat(retry).isEqualTo(first);
        JsonNode kv = api.get("/v1/config/" + key).send().json();
        assertThat(kv.path("version").asLong()).isEqualTo(1);
        assertThat(kv.path("modRevision").asLong()).isEqualTo(first.path("revision").asLong());

        // The key names that put: another value, another key or another kind of write with it
        // is refused, naming the header, and applies nothing.
        assertProblem(api.put("/v1/config/" + key).header("Idempotency-Key", idem).text("two").send(), 422, "Idempotency-Key");
        assertProblem(api.put("/v1/config/" + key + "-other").header("Idempotency-Key", idem).text("one").send(), 422,
                "Idempotency-Key");
        assertProblem(api.post("/v1/leases").header("Idempotency-Key", idem).json(Api.object("ttlSeconds", 5)).send(), 422,
                "Idempotency-Key");
        assertThat(api.get("/v1/config/" + key).send().json().path("version").asLong()).isEqualTo(1);
        assertStatus(api.get("/v1/config/" + key + "-other").send(), 404);

        JsonNode deleted = assertStatus(api.delete("/v1/config/" + key).header("Idempotency-Key", idem + "-d").send(), 200).json();
        assertThat(api.delete("/v1/config/" + key).header("Idempotency-Key", idem + "-d").send().json()).isEqualTo(deleted);
    }

    @Test
    void missingKeysAre404NamingTheKey() {
        String key = Api.unique("missing");
        assertProblem(api.get("/v1/config/" + key).send(), 404, "key");
        assertProblem(api.get("/v1/config/" + key).header("Accept", "text/plain").send(), 404, "key");
        assertProblem(api.delete("/v1/config/" + key).send(), 404, "key");
    }

    @ParameterizedTest(name = "{0} {1} -> 400 naming {2}")
    @CsvSource(delimiter = '|', value = {
            "PUT    | /v1/config/a/../b                    | key",
            "PUT    | /v1/config/..                        | key",
            "PUT    | /v1/config/a%01b                     | key",
            "GET    | /v1/config/a%7Fb                     | key",
            "DELETE | /v1/config/%E2%80%A8                 | key",
            "PUT    | /v1/config/k?expectedRevision=-1     | expectedRevision",
            "PUT    | /v1/config/k?expectedRevision=x      | expectedRevision",
            "PUT    | /v1/config/k?leaseId=0               | leaseId",
            "PUT    | /v1/config/k?lock=l                  | token",
            "PUT    | /v1/config/k?token=5                 | lock",
            "PUT    | /v1/config/k?lock=a/../b&token=5     | lock",
            "PUT    | /v1/config/k?lock=l&token=0          | token",
            "DELETE | /v1/config/k?expectedRevision=-1     | expectedRevision",
            "DELETE | /v1/config/k?lock=l                  | token",
            "GET    | /v1/config/k?consistency=eventual    | consistency",
            "GET    | /v1/config?limit=0                   | limit",
            "GET    | /v1/config?limit=1001                | limit",
            "GET    | /v1/config?limit=many                | limit",
            "GET    | /v1/config?prefix=a/../b             | prefix",
            "GET    | /v1/config?consistency=eventual      | consistency",
    })
    void invalidRequestsAre400NamingTheField(String method, String path, String field) {
        Api.Call call = switch (method) {
            case "PUT" -> api.put(path).text("v");
            case "DELETE" -> api.delete(path);
            default -> api.get(path);
        };
        assertProblem(call.send(), 400, field);
    }

    @Test
    void aKeyOf512BytesIsTakenAnd513AreNot() {
        String prefix = Api.unique("k") + "/";
        String longest = prefix + "é".repeat((512 - prefix.length()) / 2) + "x".repeat((512 - prefix.length()) % 2);
        assertThat(longest.getBytes(StandardCharsets.UTF_8)).hasSize(512);
        assertStatus(api.put("/v1/config/" + longest).text("v").send(), 200);
        assertProblem(api.put("/v1/config/" + longest + "x").text("v").send(), 400, "key");
        assertProblem(api.get("/v1/config/" + longest + "x").send(), 400, "key");
    }
}
