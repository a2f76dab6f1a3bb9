package io.latchkey.node.sim;

import io.latchkey.node.Proposal;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A leader removed through itself while its own disk is slow (async storage writes): the
 * others commit the removal, the leader applies it, and only then does its disk acknowledge
 * entries it appended after the removal. Those acknowledgements, from itself to itself, name a
 * member Raft no longer tracks, and Raft refuses them ("cannot step as peer not found"); they
 * mean nothing any more and must not stop the replica. Seen in the Jepsen harness's reconfig
 * run, seed 805: a leader removing itself while its PostgreSQL was stopped went DOWN with
 * that refusal.
 */
class SelfRemovalTest {
    @Test
    void aLeaderRemovedWhileItsDiskLags_dropsItsOwnLateAcknowledgements() {
        ReplicaGroup group = new ReplicaGroup(3, SelfRemovalTest::config);
        Replica leader = group.electLeader();
        long id = leader.id();
        group.holdWrites(id);

        leader.proposeConfChange(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(id).build());
        group.settle();
        leader.propose(Proposal.of(CounterStateMachine.encode(1), 0));
        group.settle();
        // Durable in order: the removal first (the leader applies it), then what followed it.
        while (group.releaseWrite(id)) {
            group.settle();
        }

        assertThat(leader.members()).doesNotContainKey(id);
        group.tick();
    }

    private static ReplicaConfig config(long id) {
        return new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0, 10_000, 100, 1000,
                ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT, true, new Random(id));
    }
}
