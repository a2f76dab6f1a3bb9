package io.latchkey.node;

import io.latchkey.raft.DefaultLogger;
import io.latchkey.raft.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicaConfigTest {
    private final ReplicaConfig defaults = ReplicaConfig.defaults(1, 1, new SplittableRandom(1));

    @Test
    void leaseMargin_reachesTheRaftConfig() {
        assertThat(defaults.withLeaseMarginTicks(3).raftConfig(new MemoryStorage(), DefaultLogger.stderr()).leaseMarginTicks())
                .isEqualTo(3);
    }

    @Test
    void leaseMargin_default_isRaftsChoice() {
        var raftConfig = defaults.raftConfig(new MemoryStorage(), DefaultLogger.stderr());
        raftConfig.validate();
        assertThat(raftConfig.leaseMarginTicks()).isEqualTo(2); // 1 + 10 / 10
    }

    @Test
    void leaseMargin_ofAWholeElectionTimeout_isRefused() {
        assertThatThrownBy(() -> defaults.withLeaseMarginTicks(10))
                .hasMessage("leaseMarginTicks must be 0 (default) or between 1 and electionTicks - 1");
    }
}
