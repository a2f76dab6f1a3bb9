package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaException;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Raft's leader replaces a configuration change proposed while an earlier one is unapplied with
 * an empty entry, without telling anyone. The replica must refuse such a change at once, as
 * definitely not made, instead of leaving its caller to time out with an unknown outcome (a
 * 504 to a member add that a client then cannot safely retry).
 */
class ConfChangeProposalTest {
    @Test
    void aChangeProposedWhileAnotherIsUnapplied_isRefusedAtOnce_andTheRetryGoesThrough() {
        ReplicaGroup group = new ReplicaGroup(3);
        Replica leader = group.electLeader();

        CompletableFuture<ByteString> first = leader.proposeConfChange(addLearner(4));
        CompletableFuture<ByteString> second = leader.proposeConfChange(addLearner(5));

        assertThat(second).isCompletedExceptionally();
        ReplicaException refusal = (ReplicaException) second.handle((value, error) -> error).join();
        assertThat(refusal.reason()).isEqualTo(ReplicaException.Reason.DROPPED);
        assertThat(refusal.outcomeUnknown()).isFalse();

        group.settle();
        assertThat(first).isCompleted();
        assertThat(leader.members()).containsKey(4L).doesNotContainKey(5L);

        CompletableFuture<ByteString> retried = leader.proposeConfChange(addLearner(5));
        group.settle();
        assertThat(retried).isCompleted();
        assertThat(leader.members()).containsKeys(4L, 5L);
    }

    private static ConfChange addLearner(long id) {
        return ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(id).build();
    }
}
