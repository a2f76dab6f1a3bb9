package io.latchkey.node.sim;

import io.latchkey.node.Replica;
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
        ReplicaGroup group = new ReplicaGroup(3);
        Replica leader = group.electLeader();

        group.sent.clear();
        List<CompletableFuture<Long>> reads = List.of(leader.readBarrier(ReadOnlyOption.ReadOnlySafe),
                leader.readBarrier(ReadOnlyOption.ReadOnlySafe), leader.readBarrier(ReadOnlyOption.ReadOnlySafe));
        group.settle();

        assertThat(reads).allSatisfy(read -> assertThat(read).isCompletedWithValue(leader.appliedIndex()));
        long readRoundHeartbeats = group.sent.stream()
                .filter(m -> m.getType() == MessageType.MsgHeartbeat && !m.getContext().isEmpty()).count();
        assertThat(readRoundHeartbeats).isEqualTo(2);
    }
}
