package io.latchkey.node.sim;

import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Read barriers asked for between two Readies share one ReadIndex round (one heartbeat per follower). */
class ReadBatchingTest {
    @Test
    void readsBetweenTwoReadiesShareOneRoundAndAllSeeItsIndex() {
        LockstepCluster cluster = new LockstepCluster(id -> LockstepCluster.config(id, ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT));
        Replica leader = cluster.leader();

        cluster.sent.clear();
        List<CompletableFuture<Long>> reads = List.of(leader.readBarrier(ReadOnlyOption.ReadOnlySafe),
                leader.readBarrier(ReadOnlyOption.ReadOnlySafe), leader.readBarrier(ReadOnlyOption.ReadOnlySafe));
        cluster.settle();

        assertThat(reads).allSatisfy(read -> assertThat(read).isCompletedWithValue(leader.appliedIndex()));
        long readRoundHeartbeats = cluster.sent.stream()
                .filter(m -> m.getType() == MessageType.MsgHeartbeat && !m.getContext().isEmpty()).count();
        assertThat(readRoundHeartbeats).isEqualTo(2);
    }
}
