package io.latchkey.state;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("state")
class LimitsTest {
    @Test
    void keys_arePrintableUtf8_withinTheSizeLimit_withoutDotDotSegments() {
        assertThat(Limits.checkKey("key", "app/config.yaml")).isEmpty();
        assertThat(Limits.checkKey("key", "ünïcødé/日本/🔒")).isEmpty();
        assertThat(Limits.checkKey("key", "with space")).isEmpty();
        assertThat(Limits.checkKey("key", "../etc")).hasValueSatisfying(v -> {
            assertThat(v.field()).isEqualTo("key");
            assertThat(v.message()).startsWith("key ").contains("'..'");
        });
        assertThat(Limits.checkKey("key", "a/..")).isPresent();
        assertThat(Limits.checkKey("key", "a\nb")).hasValueSatisfying(v -> assertThat(v.message()).contains("U+000A"));
        assertThat(Limits.checkKey("key", "a\u0085b")).as("C1 control").isPresent();
        assertThat(Limits.checkKey("key", "a\u2028b")).isPresent();
        assertThat(Limits.checkKey("key", "a\ud800b")).as("unpaired surrogate").isPresent();
        assertThat(Limits.checkKey("key", "a\uffffb")).isPresent();
        assertThat(Limits.checkKey("key", "x".repeat(512))).isEmpty();
        assertThat(Limits.checkKey("key", "x".repeat(513))).hasValueSatisfying(v -> assertThat(v.message()).contains("513 bytes"));
    }

    @Test
    void numericRanges_nameTheFieldAndTheRange() {
        assertThat(Limits.checkTtlSeconds("ttl_seconds", 1)).isEmpty();
        assertThat(Limits.checkTtlSeconds("ttl_seconds", 3600)).isEmpty();
        assertThat(Limits.checkTtlSeconds("ttl_seconds", 3601)).hasValueSatisfying(v ->
                assertThat(v.message()).isEqualTo("ttl_seconds is 3601, outside 1..3600 seconds"));
        assertThat(Limits.checkWaitMillis("wait_millis", 0)).isEmpty();
        assertThat(Limits.checkWaitMillis("wait_millis", 300_000)).isEmpty();
        assertThat(Limits.checkWaitMillis("wait_millis", 300_001)).isPresent();
        assertThat(Limits.checkListLimit("limit", 0)).isPresent();
        assertThat(Limits.checkPrefix("prefix", "")).isEmpty();
        assertThat(Limits.checkOwner("owner", "")).isEmpty();
    }
}
