package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.idsBySize;
import static io.latchkey.raft.RaftTestSupport.mustAppendEntry;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.sortedByRecipient;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.RaftTestSupport.withoutDefaults;
import static io.latchkey.raft.StateType.StateCandidate;
import static io.latchkey.raft.StateType.StateFollower;
import static io.latchkey.raft.StateType.StateLeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The Raft paper's rules on terms (§5.1), leader election (§5.2) and the election restriction
 * (§5.4.1), checked one sentence at a time against a single state machine driven by hand (the
 * first half of etcd's {@code raft_paper_test.go}).
 */
class RaftPaperElectionTest {

    private static Raft threeNodeRaft() {
        return newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
    }

    // ---------------------------------------------------------------- §5.1 terms

    @ParameterizedTest
    @EnumSource(value = StateType.class, names = {"StateFollower", "StateCandidate", "StateLeader"})
    void anyState_adoptsALargerTermItSeesAndBecomesFollower(StateType state) {
        // Raft paper §5.1: a server that learns of a larger term takes it; a candidate or
        // leader that finds its term out of date falls back to follower.
        Raft r = threeNodeRaft();
        switch (state) {
            case StateFollower -> r.becomeFollower(1, 2);
            case StateCandidate -> r.becomeCandidate();
            default -> {
                r.becomeCandidate();
                r.becomeLeader();
            }
        }

        r.step(Message.newBuilder().setType(MessageType.MsgApp).setTerm(2).build());

        assertThat(r.term).isEqualTo(2);
        assertThat(r.state).isEqualTo(StateFollower);
    }

    @Test
    void requestOfAStaleTerm_isNotActedUpon() {
        // Raft paper §5.1: a request carrying a stale term is refused. Like etcd, the node
        // drops it silently. etcd swaps out the role's step function to see that it never
        // runs; Java has no such hook, so the test checks that nothing a follower does on an
        // append happened: no answer, no leader learnt, no election clock reset.
        Raft r = threeNodeRaft();
        r.loadState(HardState.newBuilder().setTerm(2).build());
        tick(r, 1);

        r.step(msg(2, 1, MessageType.MsgApp).setTerm(r.term - 1).build());

        assertThat(r.msgs).isEmpty();
        assertThat(r.msgsAfterAppend).isEmpty();
        assertThat(r.lead).isEqualTo(Raft.NONE);
        assertThat(r.electionElapsed).isEqualTo(1);
        assertThat(r.term).isEqualTo(2);
        assertThat(r.state).isEqualTo(StateFollower);
    }

    // ---------------------------------------------------------------- §5.2 leader election

    @Test
    void newServer_startsAsFollower() {
        // Raft paper §5.2: servers start up as followers.
        assertThat(threeNodeRaft().state).isEqualTo(StateFollower);
    }

    @Test
    void leader_broadcastsEmptyHeartbeatsOnItsHeartbeatTick() {
        // Raft paper §5.2: on a heartbeat tick the leader sends every follower an append
        // without entries (index and log term 0). Check quorum is off, so Latchkey's heartbeats
        // carry no lease context and compare field for field with etcd's.
        int heartbeatInterval = 1;
        Raft r = newTestRaft(1, 10, heartbeatInterval, newTestMemoryStorage(withPeers(1, 2, 3)));
        r.becomeCandidate();
        r.becomeLeader();
        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, Entry.newBuilder().setIndex(i + 1).build());
        }

        tick(r, heartbeatInterval);

        assertThat(withoutDefaults(sortedByRecipient(readMessages(r)))).containsExactly(
                msg(1, 2, MessageType.MsgHeartbeat).setTerm(1).build(),
                msg(1, 3, MessageType.MsgHeartbeat).setTerm(1).build());
    }

    @ParameterizedTest
    @EnumSource(value = StateType.class, names = {"StateFollower", "StateCandidate"})
    void nonLeaderHearingNothingForAnElectionTimeout_campaignsInTheNextTerm(StateType state) {
        // Raft paper §5.2: a follower that hears nothing for an election timeout, or a
        // candidate that won no majority in time, starts an election: it increments its term,
        // becomes candidate, votes for itself and asks every other server for its vote.
        int electionTimeout = 10;
        Raft r = newTestRaft(1, electionTimeout, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        if (state == StateFollower) {
            r.becomeFollower(1, 2);
        } else {
            r.becomeCandidate();
        }

        // The randomized timeout is below twice the configured one.
        tick(r, 2 * electionTimeout - 1);
        advanceMessagesAfterAppend(r);

        assertThat(r.term).isEqualTo(2);
        assertThat(r.state).isEqualTo(StateCandidate);
        assertThat(r.trk.votes()).containsEntry(r.id, true);
        assertThat(withoutDefaults(sortedByRecipient(readMessages(r)))).containsExactly(
                msg(1, 2, MessageType.MsgVote).setTerm(2).build(),
                msg(1, 3, MessageType.MsgVote).setTerm(2).build());
    }

    static Stream<Arguments> oneRoundOfVotes() {
        return Stream.of(
                // A majority of granted votes wins.
                arguments(1, Map.of(), StateLeader),
                arguments(3, Map.of(2L, true, 3L, true), StateLeader),
                arguments(3, Map.of(2L, true), StateLeader),
                arguments(5, Map.of(2L, true, 3L, true, 4L, true, 5L, true), StateLeader),
                arguments(5, Map.of(2L, true, 3L, true, 4L, true), StateLeader),
                arguments(5, Map.of(2L, true, 3L, true), StateLeader),
                // A majority of refusals sends the candidate back to follower.
                arguments(3, Map.of(2L, false, 3L, false), StateFollower),
                arguments(5, Map.of(2L, false, 3L, false, 4L, false, 5L, false), StateFollower),
                arguments(5, Map.of(2L, true, 3L, false, 4L, false, 5L, false), StateFollower),
                // Without a majority either way it stays candidate.
                arguments(3, Map.of(), StateCandidate),
                arguments(5, Map.of(2L, true), StateCandidate),
                arguments(5, Map.of(2L, false, 3L, false), StateCandidate),
                arguments(5, Map.of(), StateCandidate));
    }

    @ParameterizedTest(name = "{0} nodes, votes {1} -> {2}")
    @MethodSource("oneRoundOfVotes")
    void candidate_winsLosesOrWaitsAfterOneRoundOfVotes(int size, Map<Long, Boolean> votes, StateType want) {
        // Raft paper §5.2: one round of RequestVote ends in a win, a loss or no decision.
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(idsBySize(size))));

        r.step(hup(1));
        advanceMessagesAfterAppend(r);
        for (Map.Entry<Long, Boolean> v : votes.entrySet()) {
            r.step(msg(v.getKey(), 1, MessageType.MsgVoteResp).setTerm(r.term).setReject(!v.getValue()).build());
        }

        assertThat(r.state).isEqualTo(want);
        assertThat(r.term).isEqualTo(1);
    }

    static Stream<Arguments> votesInTermOne() {
        return Stream.of(
                arguments(Raft.NONE, 2L, false),
                arguments(Raft.NONE, 3L, false),
                arguments(2L, 2L, false),
                arguments(3L, 3L, false),
                arguments(2L, 3L, true),
                arguments(3L, 2L, true));
    }

    @ParameterizedTest(name = "voted for {0}, asked by {1}, reject={2}")
    @MethodSource("votesInTermOne")
    void follower_votesForAtMostOneCandidatePerTerm_firstComeFirstServed(long vote, long candidate, boolean reject) {
        // Raft paper §5.2: each follower grants at most one vote per term, to whoever asks
        // first (asking again gets the same answer).
        Raft r = threeNodeRaft();
        r.loadState(HardState.newBuilder().setTerm(1).setVote(vote).build());

        r.step(msg(candidate, 1, MessageType.MsgVote).setTerm(1).build());

        Message.Builder want = msg(1, candidate, MessageType.MsgVoteResp).setTerm(1);
        if (reject) {
            want.setReject(true);
        }
        assertThat(withoutDefaults(r.msgsAfterAppend)).containsExactly(want.build());
    }

    @ParameterizedTest(name = "append of term {0}")
    @ValueSource(longs = {1, 2})
    void candidate_fallsBackToFollowerOnAnAppendOfAtLeastItsTerm(long appendTerm) {
        // Raft paper §5.2: a candidate that hears from a leader whose term is at least its own
        // accepts that leader and returns to follower.
        Raft r = threeNodeRaft();
        r.step(hup(1));
        assertThat(r.state).isEqualTo(StateCandidate);

        r.step(msg(2, 1, MessageType.MsgApp).setTerm(appendTerm).build());

        assertThat(r.state).isEqualTo(StateFollower);
        assertThat(r.term).isEqualTo(appendTerm);
    }

    @ParameterizedTest
    @EnumSource(value = StateType.class, names = {"StateFollower", "StateCandidate"})
    void electionTimeout_isRandomizedOverOneToTwoElectionTimeouts(StateType state) {
        // Raft paper §5.2: election timeouts are drawn at random, here from
        // [electionTimeout, 2 * electionTimeout); over many rounds every value shows up.
        int electionTimeout = 10;
        Raft r = newTestRaft(1, electionTimeout, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Set<Integer> timeouts = new HashSet<>();
        for (int round = 0; round < 50 * electionTimeout; round++) {
            if (state == StateFollower) {
                r.becomeFollower(r.term + 1, 2);
            } else {
                r.becomeCandidate();
            }
            int time = 0;
            while (readMessages(r).isEmpty()) {
                r.tick();
                time++;
            }
            timeouts.add(time);
        }

        for (int d = electionTimeout; d < 2 * electionTimeout; d++) {
            assertThat(timeouts).as("a timeout of %d ticks", d).contains(d);
        }
    }

    @ParameterizedTest
    @EnumSource(value = StateType.class, names = {"StateFollower", "StateCandidate"})
    void randomizedTimeouts_mostlyLetASingleServerTimeOutFirst(StateType state) {
        // Raft paper §5.2: randomized timeouts spread the servers out, so usually one of them
        // times out alone and split votes stay rare.
        int electionTimeout = 10;
        long[] ids = idsBySize(5);
        List<Raft> rs = new ArrayList<>();
        for (long id : ids) {
            rs.add(newTestRaft(id, electionTimeout, 1, newTestMemoryStorage(withPeers(ids))));
        }
        int rounds = 1000;
        int conflicts = 0;
        for (int round = 0; round < rounds; round++) {
            for (Raft r : rs) {
                if (state == StateFollower) {
                    r.becomeFollower(r.term + 1, Raft.NONE);
                } else {
                    r.becomeCandidate();
                }
            }
            int timedOut = 0;
            while (timedOut == 0) {
                for (Raft r : rs) {
                    r.tick();
                    if (!readMessages(r).isEmpty()) {
                        timedOut++;
                    }
                }
            }
            // More than one server timing out on the same tick risks a split vote.
            if (timedOut > 1) {
                conflicts++;
            }
        }

        assertThat((double) conflicts / rounds).isLessThanOrEqualTo(0.3);
    }

    // ---------------------------------------------------------------- §5.4.1 election restriction

    static Stream<Arguments> candidateLogs() {
        return Stream.of(
                arguments(index(1).terms(1), 2L),
                arguments(index(1).terms(1, 2), 3L));
    }

    @ParameterizedTest(name = "log {0} -> vote in term {1}")
    @MethodSource("candidateLogs")
    void voteRequest_carriesTheCandidatesLastEntryToEveryOtherNode(List<Entry> ents, long wantTerm) {
        // Raft paper §5.4.1: the RequestVote RPC describes the candidate's log (index and term
        // of its last entry) and goes to all other servers.
        Raft r = threeNodeRaft();
        r.step(msg(2, 1, MessageType.MsgApp).setTerm(wantTerm - 1).setLogTerm(0).setIndex(0)
                .addAllEntries(ents).build());
        readMessages(r);

        // A follower's tick is its election tick.
        tick(r, 2 * r.electionTimeout - 1);

        List<Message> msgs = sortedByRecipient(readMessages(r));
        assertThat(msgs).hasSize(2);
        Entry last = ents.get(ents.size() - 1);
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            assertThat(m.getType()).as("#%d", i).isEqualTo(MessageType.MsgVote);
            assertThat(m.getTo()).as("#%d", i).isEqualTo(i + 2);
            assertThat(m.getTerm()).as("#%d", i).isEqualTo(wantTerm);
            assertThat(m.getIndex()).as("#%d", i).isEqualTo(last.getIndex());
            assertThat(m.getLogTerm()).as("#%d", i).isEqualTo(last.getTerm());
        }
    }

    static Stream<Arguments> voterLogs() {
        return Stream.of(
                // Same last term: the longer log wins.
                arguments(index(1).terms(1), 1L, 1L, false),
                arguments(index(1).terms(1), 1L, 2L, false),
                arguments(index(1).terms(1, 1), 1L, 1L, true),
                // The candidate's last term is higher.
                arguments(index(1).terms(1), 2L, 1L, false),
                arguments(index(1).terms(1), 2L, 2L, false),
                arguments(index(1).terms(1, 1), 2L, 1L, false),
                // The voter's last term is higher.
                arguments(index(1).terms(2), 1L, 1L, true),
                arguments(index(1).terms(2), 1L, 2L, true),
                arguments(index(1).terms(2, 2), 1L, 1L, true),
                arguments(index(1).terms(1, 1), 1L, 1L, true));
    }

    @ParameterizedTest(name = "voter log {0}, candidate last entry term {1} index {2}, reject={3}")
    @MethodSource("voterLogs")
    void voter_deniesItsVoteToACandidateWithALessUpToDateLog(List<Entry> ents, long logTerm, long index, boolean reject) {
        // Raft paper §5.4.1: a voter refuses a candidate whose log is less up to date than its
        // own (compare last terms first, then lengths).
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        storage.append(ents);
        Raft r = newTestRaft(1, 10, 1, storage);

        r.step(msg(2, 1, MessageType.MsgVote).setTerm(3).setLogTerm(logTerm).setIndex(index).build());

        List<Message> msgs = readMessages(r);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgVoteResp);
        assertThat(msgs.get(0).getReject()).isEqualTo(reject);
    }
}
