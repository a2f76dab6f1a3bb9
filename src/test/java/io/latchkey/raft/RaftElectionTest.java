package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.function.Consumer;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.Network.BLACK_HOLE;
import static io.latchkey.raft.RaftTestSupport.PRE_VOTE;
import static io.latchkey.raft.RaftTestSupport.addLearner;
import static io.latchkey.raft.RaftTestSupport.addNode;
import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.beat;
import static io.latchkey.raft.RaftTestSupport.entsWithConfig;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.logOf;
import static io.latchkey.raft.RaftTestSupport.ltoa;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestLearnerRaft;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.restart;
import static io.latchkey.raft.RaftTestSupport.setRandomizedElectionTimeout;
import static io.latchkey.raft.RaftTestSupport.stepOrSend;
import static io.latchkey.raft.RaftTestSupport.takeMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.votedWithConfig;
import static io.latchkey.raft.RaftTestSupport.withLearners;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.StateType.StateCandidate;
import static io.latchkey.raft.StateType.StateFollower;
import static io.latchkey.raft.StateType.StateLeader;
import static io.latchkey.raft.StateType.StatePreCandidate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Elections: who may campaign, who votes for whom, and how (pre-)candidates resolve (§5.2). */
class RaftElectionTest {

    private static Consumer<Config> preVote(boolean on) {
        return on ? PRE_VOTE : null;
    }

    private static Raft newRaft3(long id, Consumer<Config> configure) {
        return newTestRaft(id, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)), configure);
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void leaderElection_winsWithAQuorumOfVotesOnly(boolean preVote) {
        Consumer<Config> cfg = preVote(preVote);
        // A failed pre-election leaves the node a pre-candidate without a new term.
        StateType candState = preVote ? StatePreCandidate : StateCandidate;
        long candTerm = preVote ? 0 : 1;
        record Case(Network network, StateType state, long term) {
        }
        List<Case> cases = List.of(
                new Case(Network.withConfig(cfg, null, null, null), StateLeader, 1),
                new Case(Network.withConfig(cfg, null, null, BLACK_HOLE), StateLeader, 1),
                new Case(Network.withConfig(cfg, null, BLACK_HOLE, BLACK_HOLE), candState, candTerm),
                new Case(Network.withConfig(cfg, null, BLACK_HOLE, BLACK_HOLE, null), candState, candTerm),
                new Case(Network.withConfig(cfg, null, BLACK_HOLE, BLACK_HOLE, null, null), StateLeader, 1),
                // Three logs further along, but in the same term: they answer with rejections
                // rather than ignoring the request, so the candidate loses outright.
                new Case(Network.withConfig(cfg, null, entsWithConfig(cfg, 1), entsWithConfig(cfg, 1),
                        entsWithConfig(cfg, 1, 1), null), StateFollower, 1));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            c.network().send(hup(1));
            Raft sm = c.network().raft(1);
            assertThat(sm.state).as("#%d", i).isEqualTo(c.state());
            assertThat(sm.term).as("#%d", i).isEqualTo(c.term());
        }
    }

    @Test
    void learner_doesNotCampaignWhenItsElectionTimeoutPasses() {
        Raft n1 = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);

        setRandomizedElectionTimeout(n2, n2.electionTimeout);
        tick(n2, n2.electionTimeout);

        assertThat(n2.state).isEqualTo(StateFollower);
    }

    @Test
    void learner_campaignsOnlyAfterBeingPromotedToVoter() {
        Raft n1 = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        Network nt = Network.of(n1, n2);
        assertThat(n1.state).isNotEqualTo(StateLeader);

        // n1 is the only voter: its own timeout makes it leader.
        setRandomizedElectionTimeout(n1, n1.electionTimeout);
        tick(n1, n1.electionTimeout);
        advanceMessagesAfterAppend(n1);
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);

        nt.send(beat(1));

        n1.applyConfChange(addNode(2));
        n2.applyConfChange(addNode(2));
        assertThat(n2.isLearner).isFalse();

        // Now a voter, n2 campaigns on timeout and wins.
        setRandomizedElectionTimeout(n2, n2.electionTimeout);
        tick(n2, n2.electionTimeout);
        advanceMessagesAfterAppend(n2);
        nt.send(beat(2));

        assertThat(n1.state).isEqualTo(StateFollower);
        assertThat(n2.state).isEqualTo(StateLeader);
    }

    @Test
    void learner_grantsAValidVoteRequest() {
        // A learner may be a voter in a configuration it has not learned of yet, so it
        // must answer vote requests.
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n2.becomeFollower(1, Raft.NONE);

        n2.step(msg(1, 2, MessageType.MsgVote).setTerm(2).setLogTerm(11).setIndex(11).build());

        List<Message> msgs = readMessages(n2);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgVoteResp);
        assertThat(msgs.get(0).getReject()).as("learner rejected the vote").isFalse();
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void leaderCycle_everyNodeCanWinAnElectionInTurn(boolean preVote) {
        // Unlike the first election, later ones start from a cluster that already had leaders.
        Network n = Network.fresh(preVote(preVote), 3);
        for (long campaigner = 1; campaigner <= 3; campaigner++) {
            n.send(hup(campaigner));
            for (Raft sm : n.rafts().values()) {
                if (sm.id == campaigner) {
                    assertThat(sm.state).as("campaigning node %d", sm.id).isEqualTo(StateLeader);
                } else {
                    assertThat(sm.state).as("campaigning node %d, node %d", campaigner, sm.id).isEqualTo(StateFollower);
                }
            }
        }
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void newLeader_overwritesUncommittedEntriesOfHigherTerms(boolean preVote) {
        Consumer<Config> cfg = preVote(preVote);
        // Node 1 won term 1 and replicated one entry to node 2 only; node 3 won term 2 and
        // wrote an entry nobody else got; nodes 4 and 5 voted for 3 in term 2. Nodes 1, 2
        // and 3 could each win term 3; whoever does overwrites the others' tails. Here the
        // entry that is lost is the newer one.
        Network n = Network.withConfig(cfg,
                entsWithConfig(cfg, 1),
                entsWithConfig(cfg, 1),
                entsWithConfig(cfg, 2),
                votedWithConfig(cfg, 3, 2),
                votedWithConfig(cfg, 3, 2));

        // A quorum knows term 2 already: node 1 loses, but learns the term.
        n.send(hup(1));
        Raft sm1 = n.raft(1);
        assertThat(sm1.state).isEqualTo(StateFollower);
        assertThat(sm1.term).isEqualTo(2);

        // With a higher term it wins.
        n.send(hup(1));
        assertThat(sm1.state).isEqualTo(StateLeader);
        assertThat(sm1.term).isEqualTo(3);

        // Everyone now has term 1 at index 1 and term 3 at index 2.
        for (Raft sm : n.rafts().values()) {
            List<Entry> entries = sm.raftLog.allEntries();
            assertThat(entries).as("node %d", sm.id).hasSize(2);
            assertThat(entries.get(0).getTerm()).isEqualTo(1);
            assertThat(entries.get(1).getTerm()).isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = MessageType.class, names = {"MsgVote", "MsgPreVote"})
    void voteRequestForHigherTerm_isGrantedInEveryState(MessageType vt) {
        for (StateType st : StateType.values()) {
            Raft r = newRaft3(1, c -> { });
            r.term = 1;
            switch (st) {
                case StateFollower -> r.becomeFollower(r.term, 3);
                case StatePreCandidate -> r.becomePreCandidate();
                case StateCandidate -> r.becomeCandidate();
                case StateLeader -> {
                    r.becomeCandidate();
                    r.becomeLeader();
                }
            }
            // Becoming a candidate or leader moved the term on.
            long origTerm = r.term;
            long newTerm = r.term + 1;

            r.step(msg(2, 1, vt).setTerm(newTerm).setLogTerm(newTerm).setIndex(42).build());
            List<Message> msgs = readMessages(r);
            assertThat(msgs).as("%s,%s", vt, st).hasSize(1);
            assertThat(msgs.get(0).getType()).as("%s,%s", vt, st).isEqualTo(Describe.voteRespMsgType(vt));
            assertThat(msgs.get(0).getReject()).as("%s,%s", vt, st).isFalse();

            if (vt == MessageType.MsgVote) {
                // A real vote moves us to the new term as a follower.
                assertThat(r.state).as("%s,%s", vt, st).isEqualTo(StateFollower);
                assertThat(r.term).as("%s,%s", vt, st).isEqualTo(newTerm);
                assertThat(r.vote).as("%s,%s", vt, st).isEqualTo(2);
            } else {
                // A pre-vote changes nothing; candidates and leaders voted for themselves.
                assertThat(r.state).as("%s,%s", vt, st).isEqualTo(st);
                assertThat(r.term).as("%s,%s", vt, st).isEqualTo(origTerm);
                assertThat(r.vote).as("%s,%s", vt, st).isIn(Raft.NONE, 1L);
            }
        }
    }

    @Test
    void duelingCandidates_laggingCandidateDisruptsLeaderButCannotWin() {
        Raft a = newRaft3(1, c -> { });
        Raft b = newRaft3(2, c -> { });
        Raft c = newRaft3(3, x -> { });
        Network nt = Network.of(a, b, c);
        nt.cut(1, 3);

        nt.send(hup(1));
        nt.send(hup(3));

        // 1 has votes from 1 and 2; 3 has its own and a rejection from 2.
        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(c.state).isEqualTo(StateCandidate);

        nt.recover();

        // 3 campaigns again with a higher term: the leader steps down, but 3's log is too
        // short for anyone's vote, so everybody ends up a follower in term 2.
        nt.send(hup(3));
        assertThat(c.state).isEqualTo(StateFollower);

        record Want(Raft sm, StateType state, long term, long lastIndex) {
        }
        List<Want> wants = List.of(
                new Want(a, StateFollower, 2, 1),
                new Want(b, StateFollower, 2, 1),
                new Want(c, StateFollower, 2, 0));
        for (int i = 0; i < wants.size(); i++) {
            Want w = wants.get(i);
            assertThat(w.sm().state).as("#%d", i).isEqualTo(w.state());
            assertThat(w.sm().term).as("#%d", i).isEqualTo(w.term());
            assertThat(w.sm().raftLog.lastIndex()).as("#%d", i).isEqualTo(w.lastIndex());
        }
    }

    @Test
    void duelingPreCandidates_laggingPreCandidateDoesNotDisruptLeader() {
        Raft a = newRaft3(1, PRE_VOTE);
        Raft b = newRaft3(2, PRE_VOTE);
        Raft c = newRaft3(3, PRE_VOTE);
        Network nt = Network.of(a, b, c);
        nt.cut(1, 3);

        nt.send(hup(1));
        nt.send(hup(3));

        assertThat(a.state).isEqualTo(StateLeader);
        // 3's pre-vote is rejected, so it returns to follower without a new term.
        assertThat(c.state).isEqualTo(StateFollower);

        nt.recover();

        // With pre-vote, the lagging node cannot disturb the leader.
        nt.send(hup(3));

        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(a.term).isEqualTo(1);
        assertThat(a.raftLog.lastIndex()).isEqualTo(1);
        assertThat(b.state).isEqualTo(StateFollower);
        assertThat(b.term).isEqualTo(1);
        assertThat(b.raftLog.lastIndex()).isEqualTo(1);
        assertThat(c.state).isEqualTo(StateFollower);
        assertThat(c.term).isEqualTo(1);
        assertThat(c.raftLog.lastIndex()).isZero();
    }

    @Test
    void isolatedCandidate_concedesToTheLeaderOnceReconnected() {
        Network tt = Network.fresh(3);
        tt.isolate(1);

        tt.send(hup(1));
        tt.send(hup(3));

        tt.recover();
        tt.send(beat(3));

        // A proposal makes the leader send an append to 1, then a heartbeat carries the commit.
        String data = "force follower";
        tt.send(proposal(3, data));
        tt.send(beat(3));

        Raft a = tt.raft(1);
        assertThat(a.state).isEqualTo(StateFollower);
        assertThat(a.term).isEqualTo(1);

        String wantLog = ltoa(logOf(List.of(Entry.newBuilder().setTerm(1).setIndex(1).build(),
                RaftTestSupport.entry(1, 2, data))));
        tt.rafts().forEach((id, sm) -> assertThat(ltoa(sm.raftLog)).as("node %d", id).isEqualTo(wantLog));
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void singleNode_becomesLeaderOnCampaign(boolean preVote) {
        Network tt = Network.fresh(preVote(preVote), 1);
        tt.send(hup(1));
        assertThat(tt.raft(1).state).isEqualTo(StateLeader);
    }

    @Test
    void pastElectionTimeout_isRandomizedOverOneElectionTimeout() {
        record Case(int elapse, double probability, boolean round) {
        }
        List<Case> cases = List.of(
                new Case(5, 0, false),
                new Case(10, 0.1, true),
                new Case(13, 0.4, true),
                new Case(15, 0.6, true),
                new Case(18, 0.9, true),
                new Case(20, 1, false));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
            sm.electionElapsed = c.elapse();
            int count = 0;
            for (int j = 0; j < 10000; j++) {
                sm.resetRandomizedElectionTimeout();
                if (sm.pastElectionTimeout()) {
                    count++;
                }
            }
            double got = count / 10000.0;
            if (c.round()) {
                got = Math.floor(got * 10 + 0.5) / 10.0;
            }
            assertThat(got).as("#%d", i).isCloseTo(c.probability(), within(1e-9));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = MessageType.class, names = {"MsgVote", "MsgPreVote"})
    void voteRequest_isGrantedOnlyToUpToDateLogsAndOnePerTerm(MessageType msgType) {
        record Case(StateType state, long index, long logTerm, long voteFor, boolean reject) {
        }
        List<Case> cases = List.of(
                new Case(StateFollower, 0, 0, Raft.NONE, true),
                new Case(StateFollower, 0, 1, Raft.NONE, true),
                new Case(StateFollower, 0, 2, Raft.NONE, true),
                new Case(StateFollower, 0, 3, Raft.NONE, false),

                new Case(StateFollower, 1, 0, Raft.NONE, true),
                new Case(StateFollower, 1, 1, Raft.NONE, true),
                new Case(StateFollower, 1, 2, Raft.NONE, true),
                new Case(StateFollower, 1, 3, Raft.NONE, false),

                new Case(StateFollower, 2, 0, Raft.NONE, true),
                new Case(StateFollower, 2, 1, Raft.NONE, true),
                new Case(StateFollower, 2, 2, Raft.NONE, false),
                new Case(StateFollower, 2, 3, Raft.NONE, false),

                new Case(StateFollower, 3, 0, Raft.NONE, true),
                new Case(StateFollower, 3, 1, Raft.NONE, true),
                new Case(StateFollower, 3, 2, Raft.NONE, false),
                new Case(StateFollower, 3, 3, Raft.NONE, false),

                new Case(StateFollower, 3, 2, 2, false),
                new Case(StateFollower, 3, 2, 1, true),

                new Case(StateLeader, 3, 3, 1, true),
                new Case(StatePreCandidate, 3, 3, 1, true),
                new Case(StateCandidate, 3, 3, 1, true));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            // The voter's log holds term 2 at indices 1 and 2.
            MemoryStorage storage = newTestMemoryStorage(withPeers(1));
            storage.append(index(1).terms(2, 2));
            Raft sm = newTestRaft(1, 10, 1, storage);
            sm.state = c.state();
            sm.vote = c.voteFor();
            // Both sides are in the same term: this is about logs and votes already cast,
            // not about term changes.
            long term = Math.max(sm.raftLog.lastEntryID().term(), c.logTerm());
            sm.term = term;
            sm.step(Message.newBuilder().setType(msgType).setTerm(term).setFrom(2)
                    .setIndex(c.index()).setLogTerm(c.logTerm()).build());

            List<Message> msgs = readMessages(sm);
            assertThat(msgs).as("#%d", i).hasSize(1);
            assertThat(msgs.get(0).getType()).as("#%d", i).isEqualTo(Describe.voteRespMsgType(msgType));
            assertThat(msgs.get(0).getReject()).as("#%d", i).isEqualTo(c.reject());
        }
    }

    @Test
    void stateTransitions_onlyLegalOnesAreAllowed() {
        record Case(StateType from, StateType to, boolean allow, long term, long lead) {
        }
        List<Case> cases = List.of(
                new Case(StateFollower, StateFollower, true, 1, Raft.NONE),
                new Case(StateFollower, StatePreCandidate, true, 0, Raft.NONE),
                new Case(StateFollower, StateCandidate, true, 1, Raft.NONE),
                new Case(StateFollower, StateLeader, false, 0, Raft.NONE),

                new Case(StatePreCandidate, StateFollower, true, 0, Raft.NONE),
                new Case(StatePreCandidate, StatePreCandidate, true, 0, Raft.NONE),
                new Case(StatePreCandidate, StateCandidate, true, 1, Raft.NONE),
                new Case(StatePreCandidate, StateLeader, true, 0, 1),

                new Case(StateCandidate, StateFollower, true, 0, Raft.NONE),
                new Case(StateCandidate, StatePreCandidate, true, 0, Raft.NONE),
                new Case(StateCandidate, StateCandidate, true, 1, Raft.NONE),
                new Case(StateCandidate, StateLeader, true, 0, 1),

                new Case(StateLeader, StateFollower, true, 1, Raft.NONE),
                new Case(StateLeader, StatePreCandidate, false, 0, Raft.NONE),
                new Case(StateLeader, StateCandidate, false, 1, Raft.NONE),
                new Case(StateLeader, StateLeader, true, 0, 1));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
            sm.state = c.from();
            Runnable transition = switch (c.to()) {
                case StateFollower -> () -> sm.becomeFollower(c.term(), c.lead());
                case StatePreCandidate -> sm::becomePreCandidate;
                case StateCandidate -> sm::becomeCandidate;
                case StateLeader -> sm::becomeLeader;
            };
            if (!c.allow()) {
                assertThatThrownBy(transition::run).as("#%d", i).isInstanceOf(RuntimeException.class);
                continue;
            }
            transition.run();
            assertThat(sm.term).as("#%d", i).isEqualTo(c.term());
            assertThat(sm.lead).as("#%d", i).isEqualTo(c.lead());
        }
    }

    @Test
    void everyState_stepsDownOnAMessageOfAHigherTerm() {
        record Case(StateType state, StateType wstate, long wterm, long windex) {
        }
        List<Case> cases = List.of(
                new Case(StateFollower, StateFollower, 3, 0),
                new Case(StatePreCandidate, StateFollower, 3, 0),
                new Case(StateCandidate, StateFollower, 3, 0),
                new Case(StateLeader, StateFollower, 3, 1));
        long tterm = 3;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Raft sm = newRaft3(1, x -> { });
            switch (c.state()) {
                case StateFollower -> sm.becomeFollower(1, Raft.NONE);
                case StatePreCandidate -> sm.becomePreCandidate();
                case StateCandidate -> sm.becomeCandidate();
                case StateLeader -> {
                    sm.becomeCandidate();
                    sm.becomeLeader();
                }
            }
            List<MessageType> types = List.of(MessageType.MsgVote, MessageType.MsgApp);
            for (int j = 0; j < types.size(); j++) {
                MessageType type = types.get(j);
                sm.step(Message.newBuilder().setFrom(2).setType(type).setTerm(tterm).setLogTerm(tterm).build());

                assertThat(sm.state).as("#%d.%d", i, j).isEqualTo(c.wstate());
                assertThat(sm.term).as("#%d.%d", i, j).isEqualTo(c.wterm());
                assertThat(sm.raftLog.lastIndex()).as("#%d.%d", i, j).isEqualTo(c.windex());
                assertThat(sm.raftLog.allEntries()).as("#%d.%d", i, j).hasSize((int) c.windex());
                // A vote request does not name a leader; an append does.
                long wlead = type == MessageType.MsgVote ? Raft.NONE : 2;
                assertThat(sm.lead).as("#%d.%d", i, j).isEqualTo(wlead);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = MessageType.class, names = {"MsgHeartbeat", "MsgApp"})
    void candidate_revertsToFollowerOnLeaderMessageOfItsTerm(MessageType mt) {
        Raft a = newRaft3(1, c -> { });
        Raft b = newRaft3(2, c -> { });
        Raft c = newRaft3(3, x -> { });
        Network nt = Network.of(a, b, c);

        nt.send(hup(1));
        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(b.state).isEqualTo(StateFollower);
        assertThat(c.state).isEqualTo(StateFollower);

        // Isolate 3 and raise the term of the others.
        nt.isolate(3);
        nt.send(hup(2));
        nt.send(hup(1));
        assertThat(a.state).isEqualTo(StateLeader);
        assertThat(b.state).isEqualTo(StateFollower);

        // The isolated node times out and campaigns.
        c.resetRandomizedElectionTimeout();
        tick(c, c.randomizedElectionTimeout);
        advanceMessagesAfterAppend(c);
        assertThat(c.state).isEqualTo(StateCandidate);

        nt.recover();

        // The leader's message makes it a follower in the leader's term.
        nt.send(msg(1, 3, mt).setTerm(a.term).build());
        assertThat(c.state).isEqualTo(StateFollower);
        assertThat(c.term).isEqualTo(a.term);
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void candidate_ignoresItsOwnLateSelfVoteAfterLosingTheElection(boolean preVote) {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)), c -> c.preVote(preVote));

        sm.step(hup(1));
        List<Message> steps = takeMessagesAfterAppend(sm);

        // Before its self-vote is durable, it hears that 2 won the election.
        sm.step(msg(2, 1, MessageType.MsgHeartbeat).setTerm(sm.term).build());
        assertThat(sm.state).isEqualTo(StateFollower);

        // The late self-vote changes nothing, and is not counted.
        stepOrSend(sm, steps);
        assertThat(sm.state).isEqualTo(StateFollower);
        assertThat(sm.trk.tallyVotes().granted()).isZero();
    }

    @Test
    void candidate_ignoresItsLatePreVoteSelfVote_butCountsItsRealSelfVote() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)), PRE_VOTE);

        sm.step(hup(1));
        assertThat(sm.state).isEqualTo(StatePreCandidate);
        List<Message> steps = takeMessagesAfterAppend(sm);

        // Both peers grant the pre-vote (for the next term) before the self-vote is durable.
        sm.step(msg(2, 1, MessageType.MsgPreVoteResp).setTerm(sm.term + 1).build());
        sm.step(msg(3, 1, MessageType.MsgPreVoteResp).setTerm(sm.term + 1).build());
        assertThat(sm.state).isEqualTo(StateCandidate);

        // The late pre-vote self-vote does not count towards the real election.
        stepOrSend(sm, steps);
        assertThat(sm.state).isEqualTo(StateCandidate);
        steps = takeMessagesAfterAppend(sm);
        assertThat(sm.trk.tallyVotes().granted()).isZero();

        // One real vote is not a quorum...
        sm.step(msg(2, 1, MessageType.MsgVoteResp).setTerm(sm.term).build());
        assertThat(sm.state).isEqualTo(StateCandidate);

        // ...but with the durable self-vote it is.
        stepOrSend(sm, steps);
        assertThat(sm.state).isEqualTo(StateLeader);
    }

    @Test
    void formerLeader_ignoresItsOwnAppendAckFromAnEarlierTerm() {
        Raft sm = newRaft3(1, c -> { });
        sm.becomeCandidate();
        sm.becomeLeader();

        sm.step(proposal(1, "somedata"));
        List<Message> steps = takeMessagesAfterAppend(sm);

        // A new leader appears before the proposal is durable.
        sm.step(msg(2, 1, MessageType.MsgHeartbeat).setTerm(sm.term + 1).build());
        assertThat(sm.state).isEqualTo(StateFollower);

        // The self-ack carries the old term and is ignored.
        stepOrSend(sm, steps);
        assertThat(sm.state).isEqualTo(StateFollower);
    }

    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void leader_ignoresCampaignRequests(boolean preVote) {
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1)), c -> c.preVote(preVote));
        assertThat(r.state).isEqualTo(StateFollower);
        // Step a hup rather than calling campaign(): the leader check happens before it.
        r.step(hup(1));
        advanceMessagesAfterAppend(r);
        assertThat(r.state).isEqualTo(StateLeader);

        long term = r.term;
        r.step(hup(1));
        advanceMessagesAfterAppend(r);
        assertThat(r.state).isEqualTo(StateLeader);
        assertThat(r.term).isEqualTo(term);
    }

    @Test
    void removedNode_doesNotCampaignOnTimeoutNowNorWinWithVotes() {
        // Once this could make a node outside the configuration a leader, and crash.
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(2, 3, 4)));
        r.step(msg(2, 1, MessageType.MsgTimeoutNow).build());

        r.step(msg(2, 1, MessageType.MsgVoteResp).build());
        r.step(msg(3, 1, MessageType.MsgVoteResp).build());
        assertThat(r.state).isEqualTo(StateFollower);
    }

    @Test
    void staleTermMessage_isIgnored() {
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        sm.term = 2;
        sm.step(Message.newBuilder().setType(MessageType.MsgApp).setTerm(sm.term - 1)
                .addEntries(RaftTestSupport.entry(1, 1)).build());

        // Neither answered nor acted on.
        assertThat(readMessages(sm)).isEmpty();
        assertThat(sm.raftLog.lastIndex()).isZero();
        assertThat(sm.state).isEqualTo(StateFollower);
        assertThat(sm.lead).isEqualTo(Raft.NONE);
    }

    @Test
    void preVote_laggingNodeWithSmallerTermCanStillHelpCompleteAnElection() {
        // A node that fell behind rejoins just as the leader is partitioned away; with
        // pre-vote this once left the cluster without a leader for good.
        Raft n1 = newRaft3(1, PRE_VOTE);
        Raft n2 = newRaft3(2, PRE_VOTE);
        Raft n3 = newRaft3(3, PRE_VOTE);
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);

        Network nt = Network.of(n1, n2, n3);
        nt.cut(1, 3);
        nt.cut(2, 3);

        nt.send(hup(1));
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);

        nt.send(hup(3));
        assertThat(n3.state).isEqualTo(StatePreCandidate);

        nt.send(hup(2));
        assertThat(n1.term).isEqualTo(3);
        assertThat(n2.term).isEqualTo(3);
        assertThat(n3.term).isEqualTo(1);
        assertThat(n1.state).isEqualTo(StateFollower);
        assertThat(n2.state).isEqualTo(StateLeader);
        assertThat(n3.state).isEqualTo(StatePreCandidate);

        // Bring 3 back and take the leader 2 away, as if it crashed.
        nt.recover();
        nt.cut(2, 1);
        nt.cut(2, 3);

        nt.send(hup(3));
        nt.send(hup(1));

        assertThat(n1.state == StateLeader || n3.state == StateLeader).as("someone leads").isTrue();
    }

    @Test
    void preVote_splitVoteIsResolvedInTheNextRound() {
        Raft n1 = newRaft3(1, PRE_VOTE);
        Raft n2 = newRaft3(2, PRE_VOTE);
        Raft n3 = newRaft3(3, PRE_VOTE);
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);

        Network nt = Network.of(n1, n2, n3);
        nt.send(hup(1));

        // The leader goes down and both followers campaign at once.
        nt.isolate(1);
        nt.send(hup(2), hup(3));

        assertThat(n2.term).isEqualTo(3);
        assertThat(n3.term).isEqualTo(3);
        assertThat(n2.state).isEqualTo(StateCandidate);
        assertThat(n3.state).isEqualTo(StateCandidate);

        // Node 2 times out first and wins.
        nt.send(hup(2));

        assertThat(n2.term).isEqualTo(4);
        assertThat(n3.term).isEqualTo(4);
        assertThat(n2.state).isEqualTo(StateLeader);
        assertThat(n3.state).isEqualTo(StateFollower);
    }

    @Test
    void learner_doesNotCampaignOnHupNorOnTimeoutNow() {
        Raft n1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        n1.applyConfChange(addLearner(2));
        Raft n2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1)));
        n2.applyConfChange(addLearner(2));
        Network nt = Network.of(n1, n2);

        nt.send(hup(2));
        assertThat(n2.isLearner).isTrue();
        assertThat(n2.state).isEqualTo(StateFollower);

        nt.send(hup(1));
        assertThat(n1.state == StateLeader && n1.lead == 1).isTrue();

        // A transfer checks the target is a voter, but it may become a learner after the
        // check; the TimeoutNow it then receives must be ignored.
        nt.send(msg(1, 2, MessageType.MsgTimeoutNow).build());
        assertThat(n2.state).isEqualTo(StateFollower);
    }

    /**
     * A rolling upgrade to pre-vote: n1 leads in term 2 (pre-vote on), n2 follows (pre-vote
     * on), n3 was partitioned without pre-vote and campaigned up to term 4 with a shorter
     * log. n3 is then restarted with pre-vote on and the partition heals.
     */
    private static Network newPreVoteMigrationCluster() {
        Raft n1 = newRaft3(1, PRE_VOTE);
        Raft n2 = newRaft3(2, PRE_VOTE);
        Raft n3 = newRaft3(3, c -> { });
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);

        Network nt = Network.of(n1, n2, n3);
        nt.send(hup(1));

        nt.isolate(3);
        nt.send(proposal(1, "some data"));
        nt.send(hup(3));
        nt.send(hup(3));

        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StateCandidate);
        assertThat(n1.term).isEqualTo(2);
        assertThat(n2.term).isEqualTo(2);
        assertThat(n3.term).isEqualTo(4);

        // The upgrade: etcd flips the flag in place, here the node restarts with it.
        nt.replace(3, restart(n3, PRE_VOTE));
        assertThat(nt.raft(3).term).isEqualTo(4);
        nt.recover();
        return nt;
    }

    @Test
    void preVoteMigration_clusterCanStillElectALeader() {
        Network nt = newPreVoteMigrationCluster();
        Raft n2 = nt.raft(2);
        Raft n3 = nt.raft(3);

        // The leader goes down; both remaining nodes campaign.
        nt.isolate(1);
        nt.send(hup(3));
        nt.send(hup(2));

        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StatePreCandidate);

        nt.send(hup(3));
        nt.send(hup(2));

        assertThat(n2.state == StateLeader || n3.state == StateFollower).as("someone leads").isTrue();
    }

    @Test
    void preVoteMigration_stuckPreCandidateIsFreedByDisruptingTheLeader() {
        Network nt = newPreVoteMigrationCluster();
        Raft n1 = nt.raft(1);
        Raft n2 = nt.raft(2);
        Raft n3 = nt.raft(3);

        nt.send(hup(3));
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StatePreCandidate);

        // Once more, to be sure nothing changes.
        nt.send(hup(3));
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);
        assertThat(n3.state).isEqualTo(StatePreCandidate);

        // n3's answer to the stale-term heartbeat shows the leader the higher term.
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());
        assertThat(n1.state).isEqualTo(StateFollower);
        assertThat(n3.term).isEqualTo(n1.term);
    }
}
