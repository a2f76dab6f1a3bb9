package io.latchkey.node.sim;

import io.latchkey.node.Proposal;
import io.latchkey.node.Replica;
import io.latchkey.node.StateHash;
import io.latchkey.node.StateHashes;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Members hash their applied state at the same indexes (multiples of the interval) and, having
 * applied the same log, alike; a member whose state was changed outside the log (here: a
 * command applied to its state machine alone) hashes differently from its next hash on, and the
 * comparison names that index.
 */
@Tag("state")
class StateHashTest {
    private static final long INTERVAL = 10;

    private final ReplicaGroup cluster = new ReplicaGroup(3);
    private final Replica leader;
    private long nextOperation = 1;

    StateHashTest() {
        for (long id = 1; id <= 3; id++) {
            cluster.replica(id).hashStateEvery(INTERVAL);
        }
        leader = cluster.electLeader();
    }

    @Test
    void membersThatAppliedTheSameLog_agree_andADivergedMemberDiffersAtTheNextHashedIndex() {
        applyThrough(25);
        List<StateHash> leaderHashes = leader.stateHashes();
        assertThat(leaderHashes).extracting(StateHash::index).containsExactly(10L, 20L);
        for (long id = 1; id <= 3; id++) {
            assertThat(cluster.replica(id).stateHashes()).as("member %d", id).isEqualTo(leaderHashes);
        }
        long diverged = leader.id() == 3 ? 2 : 3;
        long healthy = 6 - leader.id() - diverged;
        assertThat(StateHashes.compare(leaderHashes, cluster.replica(diverged).stateHashes()))
                .isEqualTo(new StateHashes.Comparison(20, null));

        cluster.stateMachines.get(diverged).apply(0, CounterStateMachine.encode(999));
        applyThrough(35);

        StateHashes.Comparison withDiverged = StateHashes.compare(leader.stateHashes(), cluster.replica(diverged).stateHashes());
        assertThat(withDiverged.agreedIndex()).isEqualTo(20);
        assertThat(withDiverged.mismatch()).isNotNull();
        assertThat(withDiverged.mismatch().index()).isEqualTo(30);
        assertThat(withDiverged.mismatch().localSha256()).isNotEqualTo(withDiverged.mismatch().memberSha256());
        assertThat(StateHashes.compare(leader.stateHashes(), cluster.replica(healthy).stateHashes()))
                .isEqualTo(new StateHashes.Comparison(30, null));
    }

    @Test
    void theTextFormOfTheHashes_readsBackTheSame() {
        applyThrough(25);
        List<StateHash> hashes = leader.stateHashes();
        assertThat(StateHash.parse(StateHash.format(hashes))).isEqualTo(hashes);
    }

    /** Proposes commands until every member applied {@code index}. */
    private void applyThrough(long index) {
        while (cluster.replica(1).appliedIndex() < index || cluster.replica(2).appliedIndex() < index
                || cluster.replica(3).appliedIndex() < index) {
            leader.propose(Proposal.of(CounterStateMachine.encode(nextOperation++), 0));
            cluster.settle();
        }
    }
}
