package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
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
}
