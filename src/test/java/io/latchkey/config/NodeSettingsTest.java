package io.latchkey.config;

import io.helidon.config.mp.MpConfigSources;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Raft lease margin read from MP Config, checked at start like the other latchkey.raft.* keys. */
class NodeSettingsTest {

    private static Config config(Map<String, String> values) {
        return ConfigProviderResolver.instance().getBuilder().withSources(MpConfigSources.create(values)).build();
    }

    @Test
    void leaseMarginTicks_unset_leavesTheChoiceToRaft() {
        assertThat(NodeSettings.from(config(Map.of())).leaseMarginTicks()).isZero();
    }

    @Test
    void leaseMarginTicks_set_isPassedOn() {
        NodeSettings settings = NodeSettings.from(config(Map.of(
                "latchkey.raft.election-ticks", "20", "latchkey.raft.lease-margin-ticks", "4")));
        assertThat(settings.leaseMarginTicks()).isEqualTo(4);
    }

    @Test
    void leaseMarginTicks_notBelowTheElectionTimeout_stopsTheStartNamingTheKey() {
        assertThatThrownBy(() -> NodeSettings.from(config(Map.of("latchkey.raft.lease-margin-ticks", "10"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("latchkey.raft.lease-margin-ticks must be between 1 and latchkey.raft.election-ticks - 1 (9),"
                        + " or 0 for the default, got 10");
        assertThatThrownBy(() -> NodeSettings.from(config(Map.of("latchkey.raft.lease-margin-ticks", "-1"))))
                .hasMessageStartingWith("latchkey.raft.lease-margin-ticks must be between 1 and");
        assertThatThrownBy(() -> NodeSettings.from(config(Map.of("latchkey.raft.lease-margin-ticks", "two"))))
                .hasMessage("latchkey.raft.lease-margin-ticks must be a whole number, got 'two'");
    }
}
