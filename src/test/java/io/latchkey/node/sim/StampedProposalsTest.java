package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.ProposalStamper;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proposals made where they cannot be stamped (a follower, or a leader before it took over the
 * lease clock) reach the log only with the leader's stamp: raft forwards a follower's proposal,
 * the leader's stamper rewrites it before raft appends it, and the follower answers its caller
 * when it applies the entry. The test's stamper adds 1000 to the counter's operation id, so an
 * applied result shows whether the entry was stamped.
 */
@Tag("state")
class StampedProposalsTest {
    private static final long STAMP = 1000;

    private final ReplicaGroup cluster = new ReplicaGroup(3);
    private final Replica leader = cluster.electLeader();
    private final Replica follower = cluster.replica(leader.id() % 3 + 1);
    private final List<Long> stampedTerms = new ArrayList<>();
    private boolean canStamp = true;

    private final ProposalStamper stamper = (payload, term) -> {
        if (!canStamp) {
            return null;
        }
        stampedTerms.add(term);
        return new ProposalStamper.Stamped(CounterStateMachine.encode(CounterStateMachine.decode(payload) + STAMP), 5_000);
    };

    @Test
    void aFollowersProposalIsStampedByTheLeaderAndAnsweredByTheFollower() {
        installStamper();

        CompletableFuture<ByteString> result = proposeUnstamped(follower, 7);

        assertThat(result).isCompleted();
        assertThat(CounterStateMachine.Applied.decode(result.join()).operationId()).isEqualTo(7 + STAMP);
        assertThat(totals()).as("applied once, stamped, everywhere").containsOnly(1L);
        assertThat(stampedTerms).containsExactly(leader.term());
    }

    @Test
    void withoutAStamperNothingUnstampedIsAppended_andTheLeadersOwnIsDroppedAfterAnElectionTimeout() {
        CompletableFuture<ByteString> fromFollower = proposeUnstamped(follower, 7);
        CompletableFuture<ByteString> fromLeader = proposeUnstamped(leader, 8);

        for (int tick = 0; tick < 10; tick++) {
            cluster.tick();
        }

        assertThat(totals()).as("nothing appended unstamped").containsOnly(0L);
        assertThat(fromLeader).isCompletedExceptionally();
        assertThat(fromLeader.exceptionNow()).isInstanceOfSatisfying(ReplicaException.class,
                e -> assertThat(e.reason()).isEqualTo(ReplicaException.Reason.DROPPED));
        assertThat(fromFollower).as("the follower learns it from its timeout or a leader change").isNotDone();
    }

    @Test
    void aProposalHeldUntilTheLeaderCanStampIsAppendedAtItsNextTick() {
        installStamper();
        canStamp = false;
        CompletableFuture<ByteString> fromFollower = proposeUnstamped(follower, 7);
        CompletableFuture<ByteString> fromLeader = proposeUnstamped(leader, 8);
        assertThat(totals()).containsOnly(0L);

        canStamp = true;
        cluster.tick();

        assertThat(CounterStateMachine.Applied.decode(fromFollower.join()).operationId()).isEqualTo(7 + STAMP);
        assertThat(CounterStateMachine.Applied.decode(fromLeader.join()).operationId()).isEqualTo(8 + STAMP);
        assertThat(totals()).containsOnly(2L);
    }

    @Test
    void aStampedProposalIsAppendedAsItIs() {
        installStamper();

        CompletableFuture<ByteString> result = follower.propose(Proposal.of(CounterStateMachine.encode(9), 4_000));
        cluster.settle();

        assertThat(CounterStateMachine.Applied.decode(result.join()).operationId()).isEqualTo(9);
        assertThat(stampedTerms).isEmpty();
    }

    private void installStamper() {
        for (long id = 1; id <= 3; id++) {
            cluster.replica(id).setProposalStamper(stamper);
        }
    }

    private CompletableFuture<ByteString> proposeUnstamped(Replica at, long operationId) {
        CompletableFuture<ByteString> result = at.propose(
                new Proposal(CounterStateMachine.encode(operationId), "", ByteString.EMPTY, Proposal.UNSTAMPED));
        cluster.settle();
        return result;
    }

    private List<Long> totals() {
        return cluster.stateMachines.values().stream().map(CounterStateMachine::total).toList();
    }
}
