package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.RaftTestSupport.beat;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestLearnerRaft;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.nextEnts;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.setRandomizedElectionTimeout;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withLearners;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.StateType.StateFollower;
import static org.assertj.core.api.Assertions.assertThat;

/** Installing snapshots (§7): on a follower, from the leader, and their configurations. */
class RaftSnapshotRestoreTest {

    /** A snapshot at index 11, term 11 (arbitrary numbers) with the given configuration. */
    private static Snapshot snapshot(ConfState cs) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(11).setTerm(11).setConfState(cs))
                .build();
    }

    private static ConfState voters(long... ids) {
        ConfState.Builder cs = ConfState.newBuilder();
        for (long id : ids) {
            cs.addVoters(id);
        }
        return cs.build();
    }

    @Test
    void restore_replacesTheLogAndConfiguration_onlyOnce() {
        Snapshot s = snapshot(voters(1, 2, 3));
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        assertThat(sm.restore(s)).isTrue();

        assertThat(sm.raftLog.lastIndex()).isEqualTo(s.getMetadata().getIndex());
        assertThat(sm.raftLog.term(s.getMetadata().getIndex())).isEqualTo(s.getMetadata().getTerm());
        assertThat(sm.trk.voterNodes()).containsExactly(1, 2, 3);

        assertThat(sm.restore(s)).isFalse();
        // Until the snapshot is applied, the node must not campaign.
        tick(sm, sm.randomizedElectionTimeout);
        assertThat(sm.state).isEqualTo(StateFollower);
    }

    @Test
    void restore_withLearners_restoresThemAsLearners() {
        Snapshot s = snapshot(voters(1, 2).toBuilder().addLearners(3).build());
        Raft sm = newTestLearnerRaft(3, 8, 2, newTestMemoryStorage(withPeers(1, 2), withLearners(3)));
        assertThat(sm.restore(s)).isTrue();

        assertThat(sm.raftLog.lastIndex()).isEqualTo(s.getMetadata().getIndex());
        assertThat(sm.raftLog.term(s.getMetadata().getIndex())).isEqualTo(s.getMetadata().getTerm());
        assertThat(sm.trk.voterNodes()).hasSize(s.getMetadata().getConfState().getVotersCount());
        assertThat(sm.trk.learnerNodes()).hasSize(s.getMetadata().getConfState().getLearnersCount());
        for (long n : s.getMetadata().getConfState().getVotersList()) {
            assertThat(sm.trk.progress().get(n).isLearner()).as("voter %d", n).isFalse();
        }
        for (long n : s.getMetadata().getConfState().getLearnersList()) {
            assertThat(sm.trk.progress().get(n).isLearner()).as("learner %d", n).isTrue();
        }

        assertThat(sm.restore(s)).isFalse();
    }

    @Test
    void restore_ofAJointConfiguration_worksForAnOutgoingVoter() {
        Snapshot s = snapshot(voters(2, 3, 4).toBuilder().addAllVotersOutgoing(List.of(1L, 2L, 3L)).build());
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        assertThat(sm.restore(s)).isTrue();

        assertThat(sm.raftLog.lastIndex()).isEqualTo(s.getMetadata().getIndex());
        assertThat(sm.raftLog.term(s.getMetadata().getIndex())).isEqualTo(s.getMetadata().getTerm());
        assertThat(sm.trk.voterNodes()).containsExactly(1, 2, 3, 4);

        assertThat(sm.restore(s)).isFalse();
        tick(sm, sm.randomizedElectionTimeout);
        assertThat(sm.state).isEqualTo(StateFollower);
    }

    @Test
    void restore_canDemoteAVoterToLearner() {
        // Conf changes cannot demote a voter directly, but a snapshot can sum up a removal
        // and a re-add as learner. The node must take it or be cut off from the log.
        Snapshot s = snapshot(voters(1, 2).toBuilder().addLearners(3).build());
        Raft sm = newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));

        assertThat(sm.isLearner).isFalse();
        assertThat(sm.restore(s)).isTrue();
    }

    @Test
    void restore_canPromoteALearnerToVoter() {
        Snapshot s = snapshot(voters(1, 2, 3));
        Raft sm = newTestLearnerRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2), withLearners(3)));

        assertThat(sm.isLearner).isTrue();
        assertThat(sm.restore(s)).isTrue();
        assertThat(sm.isLearner).isFalse();
    }

    @Test
    void learner_receivesTheLeadersSnapshot() {
        // Node 1 has a compacted log and a snapshot.
        Snapshot s = snapshot(voters(1).toBuilder().addLearners(2).build());
        MemoryStorage store = newTestMemoryStorage(withPeers(1), withLearners(2));
        Raft n1 = newTestLearnerRaft(1, 10, 1, store);
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));

        n1.restore(s);
        Snapshot snap = n1.raftLog.nextUnstableSnapshot();
        store.applySnapshot(snap);
        n1.appliedSnap(snap);

        Network nt = Network.of(n1, n2);

        setRandomizedElectionTimeout(n1, n1.electionTimeout);
        tick(n1, n1.electionTimeout);

        nt.send(beat(1));

        assertThat(n2.raftLog.committed).isEqualTo(n1.raftLog.committed);
    }

    @Test
    void snapshotTheLogAlreadyHas_isIgnored_butFastForwardsTheCommitIndex() {
        long commit = 1;
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        sm.raftLog.append(index(1).terms(1, 1, 1));
        sm.raftLog.commitTo(commit);

        Snapshot s = Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setIndex(commit).setTerm(1).setConfState(voters(1, 2))).build();

        assertThat(sm.restore(s)).isFalse();
        assertThat(sm.raftLog.committed).isEqualTo(commit);

        s = s.toBuilder().setMetadata(s.getMetadata().toBuilder().setIndex(commit + 1)).build();
        assertThat(sm.restore(s)).isFalse();
        assertThat(sm.raftLog.committed).isEqualTo(commit + 1);
    }

    /** A leader whose log starts after a snapshot at index 11, with voters 1 and 2. */
    private static Raft leaderAfterSnapshot() {
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        sm.restore(snapshot(voters(1, 2)));
        sm.becomeCandidate();
        sm.becomeLeader();
        return sm;
    }

    @Test
    void followerBehindTheLeadersFirstIndex_isSentASnapshot() {
        Raft sm = leaderAfterSnapshot();

        // Node 2 needs entries the leader no longer has.
        sm.trk.progress().get(2L).setNext(sm.raftLog.firstIndex());
        sm.step(msg(2, 1, MessageType.MsgAppResp).setIndex(sm.trk.progress().get(2L).next() - 1).setReject(true).build());

        List<Message> msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgSnap);
    }

    @Test
    void inactiveFollower_isNotSentASnapshot() {
        Raft sm = leaderAfterSnapshot();

        // Node 2 needs a snapshot but has not been heard from recently.
        sm.trk.progress().get(2L).setNext(sm.raftLog.firstIndex() - 1);
        sm.trk.progress().get(2L).setRecentActive(false);

        sm.step(proposal(1, "somedata"));

        assertThat(readMessages(sm)).isEmpty();
    }

    @Test
    void snapshotMessage_makesTheSenderTheLeader() {
        Snapshot s = snapshot(voters(1, 2));
        Message m = Message.newBuilder().setType(MessageType.MsgSnap).setFrom(1).setTerm(2).setSnapshot(s).build();

        Raft sm = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        sm.step(m);

        assertThat(sm.lead).isEqualTo(1);
    }

    @Test
    void slowNode_catchesUpThroughASnapshot() {
        Network nt = Network.fresh(3);
        nt.send(hup(1));

        nt.isolate(3);
        for (int j = 0; j <= 100; j++) {
            nt.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());
        }
        Raft lead = nt.raft(1);
        MemoryStorage s1 = nt.storage.get(1L);
        nextEnts(lead, s1);
        s1.createSnapshot(lead.raftLog.applied, voters(lead.trk.voterNodes()), null);
        s1.compact(lead.raftLog.applied);

        nt.recover();
        // Heartbeat until the leader has heard from node 3: it only sends snapshots to
        // followers it knows to be active.
        do {
            nt.send(beat(1));
        } while (!lead.trk.progress().get(3L).recentActive());

        // This proposal's append makes the leader notice node 3 needs a snapshot.
        nt.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());

        Raft follower = nt.raft(3);

        // And this one carries the commit index.
        nt.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());
        assertThat(follower.raftLog.committed).isEqualTo(lead.raftLog.committed);
    }
}
