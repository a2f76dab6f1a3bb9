package io.latchkey.raft;

import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static io.latchkey.raft.RaftTestSupport.addNode;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.removeNode;
import static io.latchkey.raft.RaftTestSupport.setRandomizedElectionTimeout;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.StateType.StateCandidate;
import static io.latchkey.raft.StateType.StateFollower;
import static io.latchkey.raft.StateType.StateLeader;
import static io.latchkey.raft.StateType.StatePreCandidate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Check quorum (thesis §6.2): a leader steps down when it stops hearing from a quorum, and
 * followers that hear from a leader refuse to vote for others within the election timeout
 * (the leader lease, §4.2.3).
 */
class RaftCheckQuorumTest {
    private static final Consumer<Config> CHECK_QUORUM = c -> c.checkQuorum(true);
    private static final Consumer<Config> CHECK_QUORUM_AND_PRE_VOTE = c -> c.checkQuorum(true).preVote(true);

    private static Raft newRaft3(long id, Consumer<Config> configure) {
        return newTestRaft(id, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)), configure);
    }

    @Test
    void leader_staysLeaderWhileAQuorumIsActive() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)), CHECK_QUORUM);
        sm.becomeCandidate();
        sm.becomeLeader();

        for (int i = 0; i < sm.electionTimeout + 1; i++) {
            sm.step(msg(2, 0, MessageType.MsgHeartbeatResp).setTerm(sm.term).build());
            sm.tick();
        }

        assertThat(sm.state).isEqualTo(StateLeader);
    }

    @Test
    void leader_stepsDownWhenItLosesTheQuorum() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)), CHECK_QUORUM);
        sm.becomeCandidate();
        sm.becomeLeader();

        tick(sm, sm.electionTimeout + 1);

        assertThat(sm.state).isEqualTo(StateFollower);
    }

    @Test
    void followerWithinLease_refusesToVote_untilItsElectionTimeoutPasses() {
        Raft a = newRaft3(1, CHECK_QUORUM);
        Raft b = newRaft3(2, CHECK_QUORUM);
        Raft c = newRaft3(3, CHECK_QUORUM);
        Network nt = Network.of(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        tick(b, b.electionTimeout);
        nt.send(hup(1));

        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(c.state).isEqualTo(StateFollower);

        nt.send(hup(3));
        // b heard from the leader less than an election timeout ago and ignored c.
        assertThat(c.state).isEqualTo(StateCandidate);

        // Once b's timeout has passed, it votes.
        tick(b, b.electionTimeout);
        nt.send(hup(3));

        assertThat(c.state).isEqualTo(StateLeader);
    }

    @Test
    void leaderElection_withCheckQuorum_succeedsOnceLeasesExpire() {
        Raft a = newRaft3(1, CHECK_QUORUM);
        Raft b = newRaft3(2, CHECK_QUORUM);
        Raft c = newRaft3(3, CHECK_QUORUM);
        Network nt = Network.of(a, b, c);
        setRandomizedElectionTimeout(a, a.electionTimeout + 1);
        setRandomizedElectionTimeout(b, b.electionTimeout + 2);

        // Fresh nodes have no leader, hence no lease: they vote at once.
        nt.send(hup(1));

        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(c.state).isEqualTo(StateFollower);

        // The state changes redrew the timeouts; fix them above the election timeout again.
        setRandomizedElectionTimeout(a, a.electionTimeout + 1);
        setRandomizedElectionTimeout(b, b.electionTimeout + 2);
        tick(a, a.electionTimeout);
        tick(b, b.electionTimeout);
        nt.send(hup(3));

        assertThat(a.state).isEqualTo(StateFollower);
        assertThat(c.state).isEqualTo(StateLeader);
    }

    @Test
    void stuckCandidateWithHigherTerm_disruptsLeaseHoldingLeaderAndGetsElected() {
        Raft a = newRaft3(1, CHECK_QUORUM);
        Raft b = newRaft3(2, CHECK_QUORUM);
        Raft c = newRaft3(3, CHECK_QUORUM);
        Network nt = Network.of(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        tick(b, b.electionTimeout);
        nt.send(hup(1));

        nt.isolate(1);
        nt.send(hup(3));

        assertThat(b.state).isEqualTo(StateFollower);
        assertThat(c.state).isEqualTo(StateCandidate);
        assertThat(c.term).isEqualTo(b.term + 1);

        // And again, to be sure.
        nt.send(hup(3));

        assertThat(b.state).isEqualTo(StateFollower);
        assertThat(c.state).isEqualTo(StateCandidate);
        assertThat(c.term).isEqualTo(b.term + 2);

        nt.recover();
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(a.term).build());

        // c's answer to the stale heartbeat makes the leader step down and adopt c's term.
        assertThat(a.state).isEqualTo(StateFollower);
        assertThat(c.term).isEqualTo(a.term);

        // Now c can win.
        nt.send(hup(3));
        assertThat(c.state).isEqualTo(StateLeader);
    }

    @Test
    void nonPromotableVoter_followsTheLeader() {
        Raft a = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)), CHECK_QUORUM);
        Raft b = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1)), CHECK_QUORUM);
        Network nt = Network.of(a, b);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);
        // The network gave b the full membership; take b out again so it cannot campaign.
        b.applyConfChange(removeNode(2));
        assertThat(b.promotable()).isFalse();

        tick(b, b.electionTimeout);
        nt.send(hup(1));

        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(b.state).isEqualTo(StateFollower);
        assertThat(b.lead).isEqualTo(1);
    }

    @Test
    void disruptiveFollower_higherTermCandidateForcesTheLeaderDown() {
        Raft n1 = newRaft3(1, CHECK_QUORUM);
        Raft n2 = newRaft3(2, CHECK_QUORUM);
        Raft n3 = newRaft3(3, CHECK_QUORUM);
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);
        Network nt = Network.of(n1, n2, n3);

        nt.send(hup(1));
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateFollower);

        // The leader's messages to n3 are delayed while n3's clock runs out (as when a
        // restarted server advances its ticks to speed up the first election).
        setRandomizedElectionTimeout(n3, n3.electionTimeout + 2);
        tick(n3, n3.randomizedElectionTimeout - 1);
        n3.tick();

        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateCandidate);
        assertThat(n1.term).isEqualTo(2);
        assertThat(n2.term).isEqualTo(2);
        assertThat(n3.term).isEqualTo(3);

        // The delayed heartbeat finally arrives, with a term below the candidate's. The
        // candidate's answer carries its higher term, and the leader steps down.
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());

        assertThat(n1.state).isEqualTo(StateFollower);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateCandidate);
        assertThat(n1.term).isEqualTo(3);
        assertThat(n2.term).isEqualTo(2);
        assertThat(n3.term).isEqualTo(3);
    }

    @Test
    void disruptiveFollower_withPreVote_cannotForceTheLeaderDown() {
        // etcd turns pre-vote on just before the isolated node campaigns; it plays no part in
        // what happens before, so here the nodes have it from the start.
        Raft n1 = newRaft3(1, CHECK_QUORUM_AND_PRE_VOTE);
        Raft n2 = newRaft3(2, CHECK_QUORUM_AND_PRE_VOTE);
        Raft n3 = newRaft3(3, CHECK_QUORUM_AND_PRE_VOTE);
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);
        Network nt = Network.of(n1, n2, n3);

        nt.send(hup(1));
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateFollower);

        // n3 misses some entries, then campaigns with its shorter log.
        nt.isolate(3);
        nt.send(proposal(1, "somedata"));
        nt.send(proposal(1, "somedata"));
        nt.send(proposal(1, "somedata"));
        nt.recover();
        nt.send(hup(3));

        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StatePreCandidate);
        assertThat(n1.term).isEqualTo(2);
        assertThat(n2.term).isEqualTo(2);
        assertThat(n3.term).isEqualTo(2);

        // The pre-candidate never raised its term, so a delayed heartbeat is harmless.
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());
        assertThat(n1.state).isEqualTo(StateLeader);
    }

    @Test
    void preVoteWithCheckQuorum_followersWithALeaderIgnorePreVotesUntilTheyTimeOut() {
        Raft n1 = newRaft3(1, CHECK_QUORUM_AND_PRE_VOTE);
        Raft n2 = newRaft3(2, CHECK_QUORUM_AND_PRE_VOTE);
        Raft n3 = newRaft3(3, CHECK_QUORUM_AND_PRE_VOTE);
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);
        Network nt = Network.of(n1, n2, n3);
        nt.send(hup(1));

        // The leader disappears; 2 and 3 still remember it.
        nt.isolate(1);
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateFollower);

        // 2 ignores 3's pre-vote (lease), but 3, having campaigned, grants 2's.
        nt.send(hup(3));
        nt.send(hup(2));

        assertThat(n2.state == StateLeader || n3.state == StateFollower).as("someone leads").isTrue();
    }

    @Test
    void addingAVoter_doesNotMakeTheLeaderStepDownImmediately() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)), CHECK_QUORUM);
        r.becomeCandidate();
        r.becomeLeader();

        tick(r, r.electionTimeout - 1);
        r.applyConfChange(addNode(2));

        // This tick reaches the election timeout and checks the quorum: the new node has
        // not had a chance to answer yet, which must not count against the leader.
        r.tick();
        assertThat(r.state).isEqualTo(StateLeader);

        // A whole election timeout without a word from node 2 does.
        tick(r, r.electionTimeout);
        assertThat(r.state).isEqualTo(StateFollower);
    }
}
