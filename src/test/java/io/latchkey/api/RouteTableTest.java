package io.latchkey.api;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the SE routes take paths and JSON apart, without a server. */
@Tag("api")
class RouteTableTest {
    private final RouteTable<String> table = new RouteTable<String>()
            .add("GET", "/v1/items", (s, x) -> { })
            .add("PUT", "/v1/items/{key}", (s, x) -> { })
            .add("GET", "/v1/items/{key}", (s, x) -> { })
            .add("POST", "/v1/leases/{id}/keepalive", (s, x) -> { });

    @Test
    void aKeyTakesTheRestOfThePathDecodedWithPlusKept() {
        assertThat(table.match("PUT", "/v1/items/a/b%2Fc/d+e%20f").parameters()).isEqualTo(Map.of("key", "a/b/c/d+e f"));
        assertThat(table.match("PUT", "/v1/items/%E2%82%AC").parameters()).isEqualTo(Map.of("key", "€"));
        assertThat(table.match("PUT", "/v1/items/a/../b").parameters()).isEqualTo(Map.of("key", "a/../b"));
    }

    @Test
    void otherParametersTakeOneSegment() {
        assertThat(table.match("POST", "/v1/leases/12/keepalive").parameters()).isEqualTo(Map.of("id", "12"));
        assertThat(table.match("POST", "/v1/leases/12/x/keepalive")).isNull();
        assertThat(table.match("POST", "/v1/leases//keepalive")).isNull();
    }

    @Test
    void aCollectionTakesATrailingSlashAndHeadIsServedByGet() {
        assertThat(table.match("GET", "/v1/items/")).isNotNull();
        assertThat(table.match("HEAD", "/v1/items")).isNotNull();
        assertThat(table.match("GET", "/v1/itemsx")).isNull();
        assertThat(table.match("GET", "/v1/other")).isNull();
    }

    @Test
    void aServedPathWithAnotherMethodIs405() {
        assertThatThrownBy(() -> table.match("DELETE", "/v1/items/k"))
                .isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.status()).isEqualTo(405))
                .hasMessageContaining("GET, PUT");
    }

    @Test
    void theTableListsItsOperationsAsTheDocumentWritesThem() {
        assertThat(table.operations()).extracting(op -> op.method() + " " + op.template()).containsExactly(
                "GET /v1/items", "PUT /v1/items/{key}", "GET /v1/items/{key}", "POST /v1/leases/{id}/keepalive");
    }

    @Test
    void acceptTakesWildcardsAndRefusesOtherTypes() {
        List<String> json = List.of("application/json");
        assertThat(ApiExchange.acceptable(null, json)).isTrue();
        assertThat(ApiExchange.acceptable("*/*", json)).isTrue();
        assertThat(ApiExchange.acceptable("application/*;q=0.5", json)).isTrue();
        assertThat(ApiExchange.acceptable("text/html, application/json", json)).isTrue();
        assertThat(ApiExchange.acceptable("image/png", json)).isFalse();
        assertThat(ApiExchange.acceptable("text/*", json)).isFalse();
    }

    @Test
    void jsonIsEscapedAsJsonPWritesIt() {
        String written = JsonText.object().field("a", "q\"b\\n\n\u0001é").field("n", 5L).field("absent", (String) null)
                .field("flag", true).strings("list", List.of("x", "y")).toString();
        assertThat(written).isEqualTo("{\"a\":\"q\\\"b\\\\n\\n\\u0001é\",\"n\":5,\"flag\":true,\"list\":[\"x\",\"y\"]}");
    }

    @Test
    void bodyFieldsAreTakenAsJsonBTookThem() {
        var body = JsonText.read("{\"n\":5,\"s\":\"7\",\"f\":5.9,\"o\":12,\"b\":true,\"z\":null}".getBytes(StandardCharsets.UTF_8));
        assertThat(JsonText.longField(body, "n")).isEqualTo(5L);
        assertThat(JsonText.longField(body, "s")).isEqualTo(7L);
        assertThat(JsonText.longField(body, "f")).isEqualTo(5L);
        assertThat(JsonText.longField(body, "z")).isNull();
        assertThat(JsonText.longField(body, "missing")).isNull();
        assertThat(JsonText.stringField(body, "o")).isEqualTo("12");
        assertThat(JsonText.stringField(body, "b")).isEqualTo("true");
        assertThat(JsonText.read("null".getBytes(StandardCharsets.UTF_8))).isNull();
    }

    @Test
    void bodiesThatAreNotObjectsOrNumbersThatDoNotFitAre400NamingTheBody() {
        for (String bad : new String[] {"[1]", "{not json", "5", "{\"n\":[5]}", "{\"n\":\"soon\"}", "{\"n\":99999999999999999999}"}) {
            assertThatThrownBy(() -> JsonText.longField(JsonText.read(bad.getBytes(StandardCharsets.UTF_8)), "n")).as(bad)
                    .isInstanceOfSatisfying(ProblemException.class, p -> {
                        assertThat(p.status()).isEqualTo(400);
                        assertThat(p.field()).isEqualTo("body");
                    });
        }
    }
}
