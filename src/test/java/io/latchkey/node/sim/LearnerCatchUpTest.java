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
 * A member added after the log was compacted behind a snapshot can only catch up through a
 * snapshot, and Raft refuses a snapshot whose configuration does not list it ("attempted to
 * restore snapshot but it is not in the ConfState"). The leader's latest snapshot predates the
 * addition, so the new member must not wait for the next scheduled one (snapshot-entries later,
 * forever on an idle cluster): applying the addition snapshots at once. Seen in the Jepsen
 * harness's reconfig runs (seed 800: a learner at 0 of 273 entries for 40 s, refusing the
 * snapshot at index 200 over and over).
 */
class LearnerCatchUpTest {
    private static final long SNAPSHOT_ENTRIES = 10;
    private static final long COMPACTION_MARGIN_ENTRIES = 2;

    @Test
    void aLearnerAddedAfterCompaction_catchesUpWithoutFurtherWrites() {
        ReplicaGroup group = new ReplicaGroup(3, LearnerCatchUpTest::config);
        Replica leader = group.electLeader();
        long operation = 1;
        while (leader.appliedIndex() < 2 * SNAPSHOT_ENTRIES + 5) {
            leader.propose(Proposal.of(CounterStateMachine.encode(operation++), 0));
            group.settle();
        }

        leader.proposeConfChange(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(4).build());
        group.settle();
        Replica learner = group.start(4, config(4));
        for (int tick = 0; tick < 20 && learner.appliedIndex() < leader.appliedIndex(); tick++) {
            group.tick();
        }

        assertThat(learner.appliedIndex()).as("the learner's applied index").isEqualTo(leader.appliedIndex());
        assertThat(group.stateMachines.get(4L).total()).isEqualTo(group.stateMachines.get(leader.id()).total());
    }

    private static ReplicaConfig config(long id) {
        return new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0, SNAPSHOT_ENTRIES, COMPACTION_MARGIN_ENTRIES, 1000,
                ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT, false, new Random(id));
    }
}
