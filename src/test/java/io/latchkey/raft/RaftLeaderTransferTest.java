package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import org.junit.jupiter.api.Test;

import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.nextEnts;
import static io.latchkey.raft.RaftTestSupport.removeNode;
import static io.latchkey.raft.RaftTestSupport.setRandomizedElectionTimeout;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.StateType.StateFollower;
import static io.latchkey.raft.StateType.StateLeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Leadership transfer (thesis §3.10): MsgTransferLeader, catching up, MsgTimeoutNow. */
class RaftLeaderTransferTest {

    private static Message transfer(long transferee, long to) {
        return msg(transferee, to, MessageType.MsgTransferLeader).build();
    }

    /** A proposal of an empty entry, which the network tolerates being dropped. */
    private static Message emptyProposal(long id) {
        return msg(id, id, MessageType.MsgProp).addEntries(io.latchkey.raft.raftpb.Entry.getDefaultInstance()).build();
    }

    private static void assertTransferState(Raft r, StateType state, long lead) {
        assertThat(r.state).isEqualTo(state);
        assertThat(r.lead).isEqualTo(lead);
        assertThat(r.leadTransferee).as("transfer still pending").isEqualTo(Raft.NONE);
    }

    private static Network electedCluster() {
        Network nt = Network.fresh(3);
        nt.send(hup(1));
        return nt;
    }

    @Test
    void transferToUpToDateNode_succeedsAndCanBeTransferredBack() {
        Network nt = electedCluster();
        Raft lead = nt.raft(1);
        assertThat(lead.lead).isEqualTo(1);

        nt.send(transfer(2, 1));
        assertTransferState(lead, StateFollower, 2);

        // After some replication, back to 1.
        nt.send(emptyProposal(1));
        nt.send(transfer(1, 2));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transferRequestedAtAFollower_isForwardedToTheLeader() {
        Network nt = electedCluster();
        Raft lead = nt.raft(1);
        assertThat(lead.lead).isEqualTo(1);

        nt.send(transfer(2, 2));
        assertTransferState(lead, StateFollower, 2);

        nt.send(emptyProposal(1));
        nt.send(transfer(1, 1));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transfer_worksWhileTheLeaderHoldsItsCheckQuorumLease() {
        Network nt = Network.fresh(c -> c.checkQuorum(true), 3);
        for (int i = 1; i < 4; i++) {
            Raft r = nt.raft(i);
            setRandomizedElectionTimeout(r, r.electionTimeout + i);
        }
        // Let 2's election timeout pass so that it votes for 1.
        Raft f = nt.raft(2);
        tick(f, f.electionTimeout);
        nt.send(hup(1));

        Raft lead = nt.raft(1);
        assertThat(lead.state).isEqualTo(StateLeader);

        // The transfer's vote requests override the lease.
        nt.send(transfer(2, 1));
        assertTransferState(lead, StateFollower, 2);

        nt.send(emptyProposal(1));
        nt.send(transfer(1, 2));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transferToSlowFollower_catchesItUpFirst() {
        Network nt = electedCluster();
        nt.isolate(3);
        nt.send(emptyProposal(1));
        nt.recover();
        Raft lead = nt.raft(1);
        assertThat(lead.trk.progress().get(3L).match()).isEqualTo(1);

        nt.send(transfer(3, 1));
        assertTransferState(lead, StateFollower, 3);
    }

    @Test
    void transferToNodeThatNeedsASnapshot_completesOnceTheSnapshotIsApplied() {
        Network nt = electedCluster();
        nt.isolate(3);
        nt.send(emptyProposal(1));
        Raft lead = nt.raft(1);
        nextEnts(lead, nt.storage.get(1L));
        nt.storage.get(1L).createSnapshot(lead.raftLog.applied, confState(lead.trk.voterNodes()), null);
        nt.storage.get(1L).compact(lead.raftLog.applied);

        nt.recover();
        assertThat(lead.trk.progress().get(3L).match()).isEqualTo(1);

        // Hold back 3's acknowledgement of the snapshot until it is applied.
        Message[] filtered = {null};
        nt.msgHook = m -> {
            if (m.getType() != MessageType.MsgAppResp || m.getFrom() != 3 || m.getReject()) {
                return true;
            }
            filtered[0] = m;
            return false;
        };
        nt.send(transfer(3, 1));
        assertThat(lead.state).isEqualTo(StateLeader);
        assertThat(filtered[0]).isNotNull();

        // Apply the snapshot and let the acknowledgement through.
        Raft follower = nt.raft(3);
        Snapshot snap = follower.raftLog.nextUnstableSnapshot();
        nt.storage.get(3L).applySnapshot(snap);
        follower.appliedSnap(snap);
        nt.msgHook = null;
        nt.send(filtered[0]);

        assertTransferState(lead, StateFollower, 3);
    }

    private static ConfState confState(long[] voters) {
        ConfState.Builder cs = ConfState.newBuilder();
        for (long v : voters) {
            cs.addVoters(v);
        }
        return cs.build();
    }

    @Test
    void transferToSelf_isANoop() {
        Network nt = electedCluster();
        Raft lead = nt.raft(1);

        nt.send(transfer(1, 1));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transferToNonExistingNode_isANoop() {
        Network nt = electedCluster();
        Raft lead = nt.raft(1);

        nt.send(transfer(4, 1));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transfer_isAbortedAfterAnElectionTimeout() {
        Network nt = electedCluster();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        tick(lead, lead.heartbeatTimeout);
        assertThat(lead.leadTransferee).isEqualTo(3);

        tick(lead, lead.electionTimeout - lead.heartbeatTimeout);
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void pendingTransfer_makesTheLeaderDropProposals() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = newTestRaft(1, 10, 1, s);
        Network nt = Network.of(r, null, null);
        nt.send(hup(1));
        nt.isolate(3);
        Raft lead = nt.raft(1);

        // Persist the election entry.
        nextEnts(r, s);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        nt.send(emptyProposal(1));
        assertThatThrownBy(() -> lead.step(emptyProposal(1))).isSameAs(ProposalDroppedException.INSTANCE);

        assertThat(lead.trk.progress().get(1L).match()).isEqualTo(1);
    }

    @Test
    void pendingTransfer_isAbandonedWhenAnotherNodeWinsAHigherTerm() {
        Network nt = electedCluster();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        nt.send(msg(2, 2, MessageType.MsgHup).setIndex(1).setTerm(2).build());

        assertTransferState(lead, StateFollower, 2);
    }

    @Test
    void transfer_isAbortedWhenTheTransfereeIsRemoved() {
        Network nt = electedCluster();
        nt.ignore(MessageType.MsgTimeoutNow);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        lead.applyConfChange(removeNode(3));

        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void transfer_isAbortedWhenTheTransfereeIsDemotedToLearner() {
        Network nt = electedCluster();
        nt.ignore(MessageType.MsgTimeoutNow);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        lead.applyConfChange(ConfChangeV2.newBuilder()
                .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(3))
                .addChanges(ConfChangeSingle.newBuilder().setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(3))
                .build());
        // Leave the joint configuration, as if the group committed the leave entry.
        lead.applyConfChange(ConfChangeV2.getDefaultInstance());

        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void pendingTransfer_canBeRedirectedBackToTheLeader() {
        Network nt = electedCluster();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        nt.send(transfer(1, 1));
        assertTransferState(lead, StateLeader, 1);
    }

    @Test
    void pendingTransfer_canBeRedirectedToAnotherNode() {
        Network nt = electedCluster();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        nt.send(transfer(2, 1));
        assertTransferState(lead, StateFollower, 2);
    }

    @Test
    void repeatedTransferToTheSameNode_doesNotExtendTheTimeout() {
        Network nt = electedCluster();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertThat(lead.leadTransferee).isEqualTo(3);

        tick(lead, lead.heartbeatTimeout);
        nt.send(transfer(3, 1));
        tick(lead, lead.electionTimeout - lead.heartbeatTimeout);

        assertTransferState(lead, StateLeader, 1);
    }
}
