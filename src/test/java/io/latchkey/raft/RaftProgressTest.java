package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.ProgressState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.entry;
import static io.latchkey.raft.RaftTestSupport.expectOneMessage;
import static io.latchkey.raft.RaftTestSupport.mustAppendEntry;
import static io.latchkey.raft.RaftTestSupport.nextEnts;
import static io.latchkey.raft.RaftTestSupport.beat;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestConfig;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the leader tracks each follower's progress and paces what it sends. */
class RaftProgressTest {

    private static Raft newLeader(long... peers) {
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(peers)));
        r.becomeCandidate();
        r.becomeLeader();
        return r;
    }

    @Test
    void leaderOwnProgress_advancesOnlyOnceItsAppendIsDurable() {
        Raft r = newLeader(1, 2);
        r.trk.progress().get(2L).becomeReplicate();

        for (int i = 0; i < 5; i++) {
            r.step(proposal(1, "foo"));
        }

        // The proposals sit in the unstable log: the leader has not acknowledged them yet.
        assertThat(r.trk.progress().get(1L).match()).isZero();
        List<Entry> ents = r.raftLog.nextUnstableEnts();
        assertThat(ents).hasSize(6);
        assertThat(ents.get(0).getData()).isEmpty();
        assertThat(ents.get(5).getData().toStringUtf8()).isEqualTo("foo");

        advanceMessagesAfterAppend(r);

        assertThat(r.trk.progress().get(1L).match()).isEqualTo(6);
        assertThat(r.trk.progress().get(1L).next()).isEqualTo(7);
    }

    @Test
    void pausedProbe_isResumedByHeartbeatResponse_notByHeartbeat() {
        Raft r = newLeader(1, 2);
        r.trk.progress().get(2L).setMsgAppFlowPaused(true);

        r.step(beat(1));
        assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isTrue();

        r.trk.progress().get(2L).becomeReplicate();
        assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isFalse();
        r.trk.progress().get(2L).setMsgAppFlowPaused(true);
        r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
        assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isFalse();
    }

    @Test
    void probingFollower_getsOneAppendUntilItAnswers() {
        Raft r = newLeader(1, 2);
        r.step(proposal(1, "somedata"));
        r.step(proposal(1, "somedata"));
        r.step(proposal(1, "somedata"));

        assertThat(readMessages(r)).hasSize(1);
    }

    @Test
    void flowControl_limitsAppendsInFlightByCountAndBytes() {
        Config cfg = newTestConfig(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)))
                .maxInflightMsgs(3)
                .maxSizePerMsg(2048)
                // A little over maxInflightMsgs * maxSizePerMsg.
                .maxInflightBytes(9000);
        Raft r = new Raft(cfg);
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);

        // While node 2 is probed, queue up proposals: 10 small, 6 large, 6 small.
        r.trk.progress().get(2L).becomeProbe();
        ByteString blob = ByteString.copyFromUtf8("a".repeat(1000));
        ByteString large = ByteString.copyFromUtf8("b".repeat(5000));
        for (int i = 0; i < 22; i++) {
            ByteString data = i >= 10 && i < 16 ? large : blob;
            r.step(msg(1, 1, MessageType.MsgProp).addEntries(Entry.newBuilder().setData(data)).build());
        }

        // A probe carries only the empty election entry and the first proposal.
        List<Message> ms = readMessages(r);
        assertThat(ms).hasSize(1);
        assertThat(ms.get(0).getType()).isEqualTo(MessageType.MsgApp);
        assertThat(ms.get(0).getEntriesList()).hasSize(2);
        assertThat(ms.get(0).getEntries(0).getData()).isEmpty();
        assertThat(ms.get(0).getEntries(1).getData().size()).isEqualTo(1000);

        class Acker {
            /** Acks {@code index} and checks the sizes of the appends that follow. */
            long ackAndVerify(long index, int... expEntries) {
                r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(index).build());
                List<Message> out = readMessages(r);
                assertThat(out).hasSize(expEntries.length);
                for (int i = 0; i < out.size(); i++) {
                    assertThat(out.get(i).getType()).as("#%d", i).isEqualTo(MessageType.MsgApp);
                    assertThat(out.get(i).getEntriesList()).as("#%d", i).hasSize(expEntries[i]);
                }
                List<Entry> last = out.get(out.size() - 1).getEntriesList();
                return last.isEmpty() ? index : last.get(last.size() - 1).getIndex();
            }
        }
        Acker acker = new Acker();

        // The ack moves the follower to replicate: three appends may now be in flight.
        long index = acker.ackAndVerify(ms.get(0).getEntries(1).getIndex(), 2, 2, 2);
        // Acking all three frees the window; the third append holds one large entry.
        index = acker.ackAndVerify(index, 2, 1, 1);
        // Large entries alone: the byte limit caps the window at two appends.
        index = acker.ackAndVerify(index, 1, 1);
        index = acker.ackAndVerify(index, 1, 1);
        // Small entries again.
        index = acker.ackAndVerify(index, 1, 2, 2);
        acker.ackAndVerify(index, 2);
    }

    @Test
    void uncommittedEntryLimit_dropsProposalsOverTheLimitButAlwaysAcceptsEmptyEntries() {
        // Many entries, so that a size miscounted per entry would show up either as early
        // drops or as a leftover size at the end.
        int maxEntries = 1024;
        Entry testEntry = Entry.newBuilder().setData(ByteString.copyFromUtf8("testdata")).build();
        long maxEntrySize = maxEntries * EntrySizes.payloadSize(testEntry);
        assertThat(EntrySizes.payloadSize(Entry.getDefaultInstance())).isZero();

        Config cfg = newTestConfig(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)))
                .maxUncommittedEntriesSize(maxEntrySize)
                // Keep the inflight window out of the way.
                .maxInflightMsgs(2 * 1024);
        Raft r = new Raft(cfg);
        r.becomeCandidate();
        r.becomeLeader();
        assertThat(r.uncommittedSize).isZero();

        int numFollowers = 2;
        r.trk.progress().get(2L).becomeReplicate();
        r.trk.progress().get(3L).becomeReplicate();
        r.uncommittedSize = 0;

        Message propMsg = msg(1, 1, MessageType.MsgProp).addEntries(testEntry).build();
        for (int i = 0; i < maxEntries; i++) {
            r.step(propMsg);
        }
        // The limit is reached: one more is refused.
        assertThatThrownBy(() -> r.step(propMsg)).isSameAs(ProposalDroppedException.INSTANCE);

        // Pretend the entries committed and were applied.
        assertThat(readMessages(r)).hasSize(maxEntries * numFollowers);
        r.reduceUncommittedSize(EntrySizes.payloadsSize(Collections.nCopies(maxEntries, testEntry)));
        assertThat(r.uncommittedSize).isZero();

        // Below the limit, a single proposal is accepted even if it overshoots.
        List<Entry> propEnts = new ArrayList<>(Collections.nCopies(2 * maxEntries, testEntry));
        r.step(msg(1, 1, MessageType.MsgProp).addAllEntries(propEnts).build());

        assertThatThrownBy(() -> r.step(propMsg)).isSameAs(ProposalDroppedException.INSTANCE);

        // An entry without payload is always accepted: the leader's election entry and the
        // automatic leave-joint change rely on it.
        r.step(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());

        assertThat(readMessages(r)).hasSize(2 * numFollowers);
        r.reduceUncommittedSize(EntrySizes.payloadsSize(propEnts));
        assertThat(r.uncommittedSize).isZero();
    }

    @Test
    void leader_handlesAppendResponsesByMovingMatchAndNext() {
        // The follower starts probing at next = 3 (match 0).
        record Case(long index, boolean reject, long match, long next, int msgNum, long msgIndex, long msgCommit) {
        }
        List<Case> cases = List.of(
                // Stale rejection: ignored.
                new Case(3, true, 0, 3, 0, 0, 0),
                // Rejection: next goes back and a probe is sent; nothing commits.
                new Case(2, true, 0, 2, 1, 1, 0),
                // Acceptance: the leader commits and tells everyone.
                new Case(2, false, 2, 4, 2, 2, 2),
                // An ack of index 0 matches the probe's match: the follower moves to replicate
                // and gets everything there is (1..3), so next becomes 4.
                new Case(0, false, 0, 4, 1, 0, 0));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            // The leader will be in term 1, so its log must end in term 1 to commit.
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(index(1).terms(1, 1));
            Raft sm = newTestRaft(1, 10, 1, storage);
            sm.becomeCandidate();
            sm.becomeLeader();
            readMessages(sm);

            sm.step(msg(2, 0, MessageType.MsgAppResp).setIndex(c.index()).setTerm(sm.term)
                    .setReject(c.reject()).setRejectHint(c.index()).build());

            Progress p = sm.trk.progress().get(2L);
            assertThat(p.match()).as("#%d", i).isEqualTo(c.match());
            assertThat(p.next()).as("#%d", i).isEqualTo(c.next());

            List<Message> msgs = readMessages(sm);
            assertThat(msgs).as("#%d", i).hasSize(c.msgNum());
            for (Message m : msgs) {
                assertThat(m.getIndex()).as("#%d %s", i, m).isEqualTo(c.msgIndex());
                assertThat(m.getCommit()).as("#%d %s", i, m).isEqualTo(c.msgCommit());
            }
        }
    }

    @Test
    void heartbeat_carriesNoEntriesAndAtMostTheFollowersMatchAsCommit() {
        // A log that starts after a snapshot at index 1000.
        long offset = 1000;
        MemoryStorage storage = newTestMemoryStorage();
        storage.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setIndex(offset).setTerm(1).setConfState(ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)))).build());
        Raft sm = newTestRaft(1, 10, 1, storage);
        sm.term = 1;

        sm.becomeCandidate();
        sm.becomeLeader();
        for (int i = 0; i < 10; i++) {
            mustAppendEntry(sm, Entry.newBuilder().setIndex(i + 1).build());
        }
        advanceMessagesAfterAppend(sm);

        // A slow follower and an up-to-date one.
        sm.trk.progress().get(2L).setMatch(5);
        sm.trk.progress().get(2L).setNext(6);
        sm.trk.progress().get(3L).setMatch(sm.raftLog.lastIndex());
        sm.trk.progress().get(3L).setNext(sm.raftLog.lastIndex() + 1);

        sm.step(Message.newBuilder().setType(MessageType.MsgBeat).build());
        List<Message> msgs = readMessages(sm);
        assertThat(msgs).hasSize(2);

        Map<Long, Long> wantCommit = new HashMap<>(Map.of(
                2L, Math.min(sm.raftLog.committed, sm.trk.progress().get(2L).match()),
                3L, Math.min(sm.raftLog.committed, sm.trk.progress().get(3L).match())));
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            assertThat(m.getType()).as("#%d", i).isEqualTo(MessageType.MsgHeartbeat);
            assertThat(m.getIndex()).as("#%d", i).isZero();
            assertThat(m.getLogTerm()).as("#%d", i).isZero();
            assertThat(wantCommit).as("#%d", i).containsKey(m.getTo());
            assertThat(m.getCommit()).as("#%d", i).isEqualTo(wantCommit.remove(m.getTo()));
            assertThat(m.getEntriesList()).as("#%d", i).isEmpty();
        }
    }

    @Test
    void beat_isBroadcastByTheLeaderOnly() {
        record Case(StateType state, int msgs) {
        }
        List<Case> cases = List.of(
                new Case(StateType.StateLeader, 2),
                new Case(StateType.StateCandidate, 0),
                new Case(StateType.StateFollower, 0));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(index(1).terms(1, 1));
            Raft sm = newTestRaft(1, 10, 1, storage);
            sm.term = 1;
            sm.state = c.state();
            sm.step(beat(1));

            List<Message> msgs = readMessages(sm);
            assertThat(msgs).as("#%d", i).hasSize(c.msgs());
            for (Message m : msgs) {
                assertThat(m.getType()).as("#%d", i).isEqualTo(MessageType.MsgHeartbeat);
            }
        }
    }

    @Test
    void replicatingFollower_hasNextAdvancedOptimistically_probingOneDoesNot() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        record Case(ProgressState state, long next, long wantNext) {
        }
        List<Case> cases = List.of(
                // Previous entries + the election entry + the proposal, plus one.
                new Case(ProgressState.StateReplicate, 2, previousEnts.size() + 1 + 1 + 1),
                new Case(ProgressState.StateProbe, 2, 2));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
            sm.raftLog.append(previousEnts);
            sm.becomeCandidate();
            sm.becomeLeader();
            sm.trk.progress().get(2L).setState(c.state());
            sm.trk.progress().get(2L).setNext(c.next());
            sm.step(proposal(1, "somedata"));

            assertThat(sm.trk.progress().get(2L).next()).as("#%d", i).isEqualTo(c.wantNext());
        }
    }

    private static Raft newLeaderWithoutMessages() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        return r;
    }

    @Test
    void probingFollower_getsOneAppendPerHeartbeatResponse() {
        Raft r = newLeaderWithoutMessages();
        r.trk.progress().get(2L).becomeProbe();

        // Each round is one heartbeat.
        for (int i = 0; i < 3; i++) {
            if (i == 0) {
                // Only the first append goes out; then the flow pauses until the follower
                // answers a heartbeat.
                mustAppendEntry(r, entry("somedata"));
                r.sendAppend(2);
                List<Message> msg = readMessages(r);
                assertThat(msg).hasSize(1);
                assertThat(msg.get(0).getIndex()).isZero();
            }

            assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isTrue();
            for (int j = 0; j < 10; j++) {
                mustAppendEntry(r, entry("somedata"));
                r.sendAppend(2);
                assertThat(readMessages(r)).isEmpty();
            }

            // A heartbeat does not unpause the flow by itself.
            for (int j = 0; j < r.heartbeatTimeout; j++) {
                r.step(beat(1));
            }
            assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isTrue();

            List<Message> msg = readMessages(r);
            assertThat(msg).hasSize(1);
            assertThat(msg.get(0).getType()).isEqualTo(MessageType.MsgHeartbeat);
        }

        // The follower's heartbeat response lets one more append through.
        r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
        List<Message> msg = readMessages(r);
        assertThat(msg).hasSize(1);
        assertThat(msg.get(0).getIndex()).isZero();
        assertThat(r.trk.progress().get(2L).msgAppFlowPaused()).isTrue();
    }

    @Test
    void replicatingFollower_getsEveryAppend() {
        Raft r = newLeaderWithoutMessages();
        r.trk.progress().get(2L).becomeReplicate();

        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, entry("somedata"));
            r.sendAppend(2);
            assertThat(readMessages(r)).as("#%d", i).hasSize(1);
        }
    }

    @Test
    void followerReceivingASnapshot_getsNoAppends() {
        Raft r = newLeaderWithoutMessages();
        r.trk.progress().get(2L).becomeSnapshot(10);

        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, entry("somedata"));
            r.sendAppend(2);
            assertThat(readMessages(r)).as("#%d", i).isEmpty();
        }
    }

    @Test
    void unreachableFollower_fallsBackToProbing() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        s.append(index(1).terms(1, 2, 3));
        Raft r = newTestRaft(1, 10, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        Progress pr = r.trk.progress().get(2L);
        pr.setMatch(3);
        pr.becomeReplicate();
        pr.setNext(6);

        r.step(msg(2, 1, MessageType.MsgUnreachable).build());

        assertThat(pr.state()).isEqualTo(ProgressState.StateProbe);
        assertThat(pr.next()).isEqualTo(pr.match() + 1);
    }

    @Test
    void appendResponse_resumesAFollowerWaitingInProbe() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft sm = newTestRaft(1, 5, 1, s);
        sm.becomeCandidate();
        sm.becomeLeader();

        // The leader persists its election entry (and sends it, which we drop).
        nextEnts(sm, s);

        // Node 2 acks it, which commits it.
        sm.step(msg(2, 0, MessageType.MsgAppResp).setIndex(1).build());
        assertThat(sm.raftLog.committed).isEqualTo(1);
        // Drop the appends that carry the new commit index.
        readMessages(sm);

        sm.step(msg(1, 0, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());

        // Only node 2 replicates; node 3 is still waiting for an answer to its probe.
        List<Message> msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgApp);
        assertThat(msgs.get(0).getTo()).isEqualTo(2);
        assertThat(msgs.get(0).getEntriesList()).hasSize(1);
        assertThat(msgs.get(0).getEntries(0).getIndex()).isEqualTo(2);

        // Node 3's ack releases it, and it gets entry 2.
        sm.step(msg(3, 0, MessageType.MsgAppResp).setIndex(1).build());
        msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgApp);
        assertThat(msgs.get(0).getTo()).isEqualTo(3);
        assertThat(msgs.get(0).getEntriesList()).hasSize(1);
        assertThat(msgs.get(0).getEntries(0).getIndex()).isEqualTo(2);
    }

    @Test
    void heartbeatResponse_resendsAppendsUntilTheFollowerCatchesUp() {
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        storage.append(index(1).terms(1, 2, 3));
        Raft sm = newTestRaft(1, 5, 1, storage);
        sm.becomeCandidate();
        sm.becomeLeader();
        sm.raftLog.commitTo(sm.raftLog.lastIndex());

        // The follower is behind: its heartbeat response brings an append.
        sm.step(msg(2, 0, MessageType.MsgHeartbeatResp).build());
        List<Message> msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgApp);

        // And the next one another.
        sm.step(msg(2, 0, MessageType.MsgHeartbeatResp).build());
        msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgApp);

        // Once it acks everything, heartbeat responses bring no more appends.
        sm.step(msg(2, 0, MessageType.MsgAppResp)
                .setIndex(msgs.get(0).getIndex() + msgs.get(0).getEntriesCount()).build());
        readMessages(sm);

        sm.step(msg(2, 0, MessageType.MsgHeartbeatResp).build());
        assertThat(readMessages(sm)).isEmpty();
    }

    @ParameterizedTest(name = "#{index}")
    @MethodSource("fastLogRejectionCases")
    void rejectedAppend_hintsLetTheLeaderSkipWholeTerms(List<Entry> leaderLog, List<Entry> followerLog,
            long followerCompact, long rejectHintTerm, long rejectHintIndex, long nextAppendTerm, long nextAppendIndex) {
        Entry last = leaderLog.get(leaderLog.size() - 1);
        MemoryStorage s1 = newTestMemoryStorage(withPeers(1, 2, 3));
        s1.append(leaderLog);
        s1.setHardState(HardState.newBuilder().setTerm(last.getTerm() - 1).setCommit(last.getIndex()).build());
        Raft n1 = newTestRaft(1, 10, 1, s1);
        // Campaigning bumps the term to that of the leader's last entry.
        n1.becomeCandidate();
        n1.becomeLeader();

        MemoryStorage s2 = newTestMemoryStorage(withPeers(1, 2, 3));
        s2.append(followerLog);
        s2.setHardState(HardState.newBuilder().setTerm(last.getTerm()).setVote(1).setCommit(0).build());
        Raft n2 = newTestRaft(2, 10, 1, s2);
        if (followerCompact != 0) {
            // Not a realistic state (the commit index is still 0), but it exercises an edge
            // case that should not happen, in case it does some other way.
            s2.compact(followerCompact);
        }

        n2.step(msg(1, 2, MessageType.MsgHeartbeat).build());
        List<Message> msgs = readMessages(n2);
        assertThat(msgs).as("messages from peer 2").hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgHeartbeatResp);

        n1.step(msgs.get(0));
        msgs = readMessages(n1);
        assertThat(msgs).as("messages from peer 1").hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgApp);

        n2.step(msgs.get(0));
        msgs = readMessages(n2);
        assertThat(msgs).as("messages from peer 2").hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgAppResp);
        assertThat(msgs.get(0).getReject()).as("append rejected").isTrue();
        assertThat(msgs.get(0).getLogTerm()).as("hint log term").isEqualTo(rejectHintTerm);
        assertThat(msgs.get(0).getRejectHint()).as("hint log index").isEqualTo(rejectHintIndex);

        n1.step(msgs.get(0));
        msgs = readMessages(n1);
        assertThat(msgs.get(0).getLogTerm()).isEqualTo(nextAppendTerm);
        assertThat(msgs.get(0).getIndex()).isEqualTo(nextAppendIndex);
    }

    static Stream<Arguments> fastLogRejectionCases() {
        return Stream.of(
                // The leader finds the conflict quickly: it first appends at (index 7, term 4),
                // then, after the rejection, at (index 3, term 2).
                Arguments.of(index(1).terms(1, 2, 2, 4, 4, 4, 4), index(1).terms(1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
                        0, 3, 7, 2, 3),
                // Likewise: (8, 5), then (4, 3).
                Arguments.of(index(1).terms(1, 2, 2, 3, 4, 4, 4, 5), index(1).terms(1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
                        0, 3, 8, 3, 4),
                // The follower finds the conflict quickly: (4, 1), then (1, 1).
                Arguments.of(index(1).terms(1, 1, 1, 1), index(1).terms(1, 2, 2, 4),
                        0, 1, 1, 1, 1),
                // As above, with a leader whose uncommitted tail is longer: (6, 1), then (1, 1).
                Arguments.of(index(1).terms(1, 1, 1, 1, 1, 1), index(1).terms(1, 2, 2, 4),
                        0, 1, 1, 1, 1),
                // As above, with a follower whose uncommitted tail is longer: (4, 1), then (1, 1).
                Arguments.of(index(1).terms(1, 1, 1, 1), index(1).terms(1, 2, 2, 4, 4, 4),
                        0, 1, 1, 1, 1),
                // No conflict, the follower is just behind: (5, 5), then (4, 4).
                Arguments.of(index(1).terms(1, 1, 1, 4, 5), index(1).terms(1, 1, 1, 4),
                        0, 4, 4, 4, 4),
                // The example of the leader's hint handling.
                Arguments.of(index(1).terms(2, 5, 5, 5, 5, 5, 5, 5, 5), index(1).terms(2, 4, 4, 4, 4, 4),
                        0, 4, 6, 2, 1),
                // The example of the follower's hint computation.
                Arguments.of(index(1).terms(2, 2, 2, 2, 2), index(1).terms(2, 4, 4, 4, 4, 4, 4, 4),
                        0, 2, 1, 2, 1),
                // A stale append (index 3, term 3) reaches a follower that compacted past
                // index 3: it rejects with index 3 and term 0, and the leader backs off by one
                // entry to (2, 1).
                Arguments.of(index(1).terms(1, 1, 3), index(1).terms(1, 1, 3, 3, 3),
                        5, 0, 3, 1, 2));
    }

    @Test
    void reorderedAppendRejection_doesNotMoveTheProbeBelowTheMatch() {
        Raft r1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r1.becomeCandidate();
        r1.becomeLeader();
        readMessages(r1);
        r1.trk.progress().get(2L).becomeReplicate();

        Raft r2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2)));

        // r1 sends two appends to r2.
        mustAppendEntry(r1, entry("somedata"));
        r1.sendAppend(2);
        Message req1 = expectOneMessage(r1);
        mustAppendEntry(r1, entry("somedata"));
        r1.sendAppend(2);
        Message req2 = expectOneMessage(r1);

        // The second arrives first and is rejected.
        r2.step(req2);
        Message resp2 = expectOneMessage(r2);
        assertThat(resp2.getReject()).isTrue();
        assertThat(resp2.getRejectHint()).isZero();
        assertThat(resp2.getIndex()).isEqualTo(2);

        // The first is accepted, and r1 records the match.
        r2.step(req1);
        Message m = expectOneMessage(r2);
        assertThat(m.getReject()).isFalse();
        assertThat(m.getIndex()).isEqualTo(2);
        r1.step(m);
        expectOneMessage(r1);
        assertThat(r1.trk.progress().get(2L).match()).isEqualTo(2);

        // A transient network problem sends r2 back to probing.
        r1.step(msg(2, 1, MessageType.MsgUnreachable).build());
        assertThat(r1.trk.progress().get(2L).state()).isEqualTo(ProgressState.StateProbe);

        // The late rejection arrives: the next probe starts at the match, whatever the hint.
        r1.step(resp2);
        m = expectOneMessage(r1);
        assertThat(m.getIndex()).isEqualTo(r1.trk.progress().get(2L).match());
    }
}
