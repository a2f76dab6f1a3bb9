package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.latchkey.raft.RaftTestSupport.addLearner;
import static io.latchkey.raft.RaftTestSupport.addNode;
import static io.latchkey.raft.RaftTestSupport.bytes;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.mustAppendEntry;
import static io.latchkey.raft.RaftTestSupport.newTestLearnerRaft;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.nextEnts;
import static io.latchkey.raft.RaftTestSupport.removeNode;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withLearners;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.RaftTestSupport.withoutDefaults;
import static io.latchkey.raft.StateType.StateCandidate;
import static io.latchkey.raft.StateType.StateFollower;
import static io.latchkey.raft.StateType.StateLeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Membership changes (§6 of the thesis): proposing, applying, and their effect on elections. */
class RaftConfChangeTest {

    private static Message confChangeProposal() {
        return msg(1, 1, MessageType.MsgProp).addEntries(Entry.newBuilder().setType(EntryType.EntryConfChange)).build();
    }

    private static Raft newLeader(long... peers) {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(peers)));
        r.becomeCandidate();
        r.becomeLeader();
        return r;
    }

    @Test
    void proposedConfChange_isAppendedAndMarkedPending() {
        // Two voters and nobody answering: nothing commits.
        Raft r = newLeader(1, 2);
        long index = r.raftLog.lastIndex();
        r.step(confChangeProposal());
        assertThat(r.raftLog.lastIndex()).isEqualTo(index + 1);
        assertThat(r.pendingConfIndex).isEqualTo(index + 1);
    }

    @Test
    void secondConfChangeWhileOneIsPending_isReplacedByAnEmptyEntry() {
        Raft r = newLeader(1, 2);
        r.step(confChangeProposal());
        long index = r.raftLog.lastIndex();
        long pendingConfIndex = r.pendingConfIndex;

        r.step(confChangeProposal());

        List<Entry> want = List.of(Entry.newBuilder().setType(EntryType.EntryNormal).setTerm(1).setIndex(3).build());
        assertThat(withoutDefaults(r.raftLog.entries(index + 1, RaftLog.NO_LIMIT))).isEqualTo(withoutDefaults(want));
        assertThat(r.pendingConfIndex).isEqualTo(pendingConfIndex);
    }

    @Test
    void newLeader_treatsItsUncommittedTailAsPossiblyHoldingAConfChange() {
        record Case(boolean addEntry, long pendingIndex) {
        }
        List<Case> cases = List.of(new Case(false, 0), new Case(true, 1));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
            if (c.addEntry()) {
                mustAppendEntry(r, Entry.newBuilder().setType(EntryType.EntryNormal).build());
            }
            r.becomeCandidate();
            r.becomeLeader();
            assertThat(r.pendingConfIndex).as("#%d", i).isEqualTo(c.pendingIndex());
        }
    }

    @Test
    void addNode_addsAVoter() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        r.applyConfChange(addNode(2));
        assertThat(r.trk.voterNodes()).containsExactly(1, 2);
    }

    @Test
    void addLearner_addsALearnerWhichCanBePromotedAndDemoted() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        r.applyConfChange(addLearner(2));
        assertThat(r.isLearner).isFalse();
        assertThat(r.trk.learnerNodes()).containsExactly(2);
        assertThat(r.trk.progress().get(2L).isLearner()).isTrue();

        // Promote 2.
        r.applyConfChange(addNode(2));
        assertThat(r.trk.progress().get(2L).isLearner()).isFalse();

        // Demote ourselves.
        r.applyConfChange(addLearner(1));
        assertThat(r.trk.progress().get(1L).isLearner()).isTrue();
        assertThat(r.isLearner).isTrue();

        // And promote ourselves again.
        r.applyConfChange(addNode(1));
        assertThat(r.trk.progress().get(1L).isLearner()).isFalse();
        assertThat(r.isLearner).isFalse();
    }

    @Test
    void removeNode_removesTheVoter_butNotTheLastOne() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.applyConfChange(removeNode(2));
        assertThat(r.trk.voterNodes()).containsExactly(1);

        // An empty configuration is refused.
        assertThatThrownBy(() -> r.applyConfChange(removeNode(1))).isInstanceOf(RuntimeException.class);
    }

    @Test
    void removeLearner_removesTheLearner_butTheLastVoterStays() {
        Raft r = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        r.applyConfChange(removeNode(2));
        assertThat(r.trk.voterNodes()).containsExactly(1);
        assertThat(r.trk.learnerNodes()).isEmpty();

        assertThatThrownBy(() -> r.applyConfChange(removeNode(1))).isInstanceOf(RuntimeException.class);
    }

    @Test
    void promotable_onlyWhenAVoter() {
        record Case(long[] peers, boolean promotable) {
        }
        List<Case> cases = List.of(
                new Case(new long[]{1}, true),
                new Case(new long[]{1, 2, 3}, true),
                new Case(new long[]{}, false),
                new Case(new long[]{2, 3}, false));
        for (int i = 0; i < cases.size(); i++) {
            Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(cases.get(i).peers())));
            assertThat(r.promotable()).as("#%d", i).isEqualTo(cases.get(i).promotable());
        }
    }

    @Test
    void voterNodes_areSorted() {
        for (long[] ids : List.of(new long[]{1, 2, 3}, new long[]{3, 2, 1})) {
            Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(ids)));
            assertThat(r.trk.voterNodes()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void removingAVoter_canCommitWhatWasWaitingForIt() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        Raft r = newTestRaft(1, 5, 1, s);
        r.becomeCandidate();
        r.becomeLeader();

        // Propose removing node 2.
        ConfChange cc = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(2).build();
        r.step(Message.newBuilder().setType(MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(EntryType.EntryConfChange).setData(cc.toByteString())).build());

        // Persisted, but nothing committed yet.
        assertThat(nextEnts(r, s)).isEmpty();
        long ccIndex = r.raftLog.lastIndex();

        // Another proposal while the change is pending.
        r.step(Message.newBuilder().setType(MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(EntryType.EntryNormal).setData(bytes("hello"))).build());

        // Node 2 acknowledges the conf change, which commits it.
        r.step(Message.newBuilder().setType(MessageType.MsgAppResp).setFrom(2).setIndex(ccIndex).build());
        List<Entry> ents = nextEnts(r, s);
        assertThat(ents).hasSize(2);
        assertThat(ents.get(0).getType()).isEqualTo(EntryType.EntryNormal);
        assertThat(ents.get(0).getData()).isEqualTo(ByteString.EMPTY);
        assertThat(ents.get(1).getType()).isEqualTo(EntryType.EntryConfChange);

        // Applying it shrinks the quorum to the leader alone: the proposal commits.
        r.applyConfChange(ConfChanges.asV2(cc));
        ents = nextEnts(r, s);
        assertThat(ents).hasSize(1);
        assertThat(ents.get(0).getType()).isEqualTo(EntryType.EntryNormal);
        assertThat(ents.get(0).getData()).isEqualTo(bytes("hello"));
    }

    @ParameterizedTest(name = "v2={0}")
    @ValueSource(booleans = {false, true})
    void committedButUnappliedConfChange_preventsCampaigning(boolean v2) {
        Network nt = Network.fresh(3);
        Raft n1 = nt.raft(1);
        Raft n2 = nt.raft(2);
        nt.send(hup(1));
        assertThat(n1.state).isEqualTo(StateLeader);

        // Propose removing node 2.
        ConfChange cc = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(2).build();
        Entry e = v2
                ? Entry.newBuilder().setType(EntryType.EntryConfChangeV2).setData(ConfChanges.asV2(cc).toByteString()).build()
                : Entry.newBuilder().setType(EntryType.EntryConfChange).setData(cc.toByteString()).build();
        nt.send(msg(1, 1, MessageType.MsgProp).addEntries(e).build());

        // Node 2's timeout passes, but the change is committed and not applied: no campaign.
        tick(n2, n2.randomizedElectionTimeout);
        assertThat(n2.state).isEqualTo(StateFollower);

        // Nor does a transfer to it make it campaign.
        nt.send(msg(2, 1, MessageType.MsgTransferLeader).build());
        assertThat(n1.state).isEqualTo(StateLeader);
        assertThat(n2.state).isEqualTo(StateFollower);

        // Let the transfer time out.
        tick(n1, n1.electionTimeout);

        // Apply on node 2; now the transfer succeeds.
        nextEnts(n2, nt.storage.get(2L));
        nt.send(msg(2, 1, MessageType.MsgTransferLeader).build());
        assertThat(n1.state).isEqualTo(StateFollower);
        assertThat(n2.state).isEqualTo(StateLeader);

        // Node 1, having applied too, campaigns on timeout.
        nextEnts(n1, nt.storage.get(1L));
        tick(n1, n1.randomizedElectionTimeout);
        assertThat(n1.state).isEqualTo(StateCandidate);
    }
}
