package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import static io.latchkey.raft.NodeTestSupport.RawNodeCluster;
import static io.latchkey.raft.NodeTestSupport.bytes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Latchkey's per-request read mode ({@link RawNode#readIndex(ByteString, ReadOnlyOption)}) on
 * the leader of a three-node cluster. A lease-based read is answered from the leader's commit
 * index at once; a safe read first confirms leadership with a heartbeat round (Raft thesis
 * §6.4). The lease is only trustworthy with CheckQuorum, so without it a lease request is
 * served safely. ({@link Node#readIndex} takes no mode, hence RawNode here.)
 */
class NodeReadModeTest {

    private static RawNodeCluster electedCluster(boolean checkQuorum) {
        RawNodeCluster nt = RawNodeCluster.of(3, c -> c.checkQuorum(checkQuorum));
        nt.elect(1);
        assertThat(nt.node(1).basicStatus().softState().raftState()).isEqualTo(StateType.StateLeader);
        return nt;
    }

    @Test
    void leaseReadWithCheckQuorumIsAnsweredWithoutAHeartbeatRound() {
        RawNodeCluster nt = electedCluster(true);
        renewLease(nt);
        long committed = nt.node(1).raft().raftLog.committed;
        ByteString ctx = bytes("lease");

        nt.node(1).readIndex(ctx, ReadOnlyOption.ReadOnlyLeaseBased);
        Ready rd = nt.takeReady(1);

        assertThat(rd.readStates()).containsExactly(new ReadState(committed, ctx));
        assertThat(rd.messages()).extracting(Message::getType).doesNotContain(MessageType.MsgHeartbeat);
    }

    @Test
    void safeReadNeedsAHeartbeatRoundEvenWithCheckQuorum() {
        RawNodeCluster nt = electedCluster(true);
        assertSafeRoundTrip(nt, bytes("safe"), ReadOnlyOption.ReadOnlySafe);
    }

    @Test
    void leaseReadWithoutCheckQuorumFallsBackToSafe() {
        RawNodeCluster nt = electedCluster(false);
        assertSafeRoundTrip(nt, bytes("lease-without-check-quorum"), ReadOnlyOption.ReadOnlyLeaseBased);
    }

    /** One heartbeat round: the followers echo the leader's tick, which starts its lease. */
    private static void renewLease(RawNodeCluster nt) {
        RawNode leader = nt.node(1);
        for (int i = 0; i < leader.raft().heartbeatTimeout; i++) {
            leader.tick();
        }
        nt.stabilize();
        assertThat(leader.raft().leaseValid()).isTrue();
    }

    /** The leader answers only after its heartbeats (carrying the request) come back. */
    private static void assertSafeRoundTrip(RawNodeCluster nt, ByteString ctx, ReadOnlyOption mode) {
        long committed = nt.node(1).raft().raftLog.committed;

        nt.node(1).readIndex(ctx, mode);
        Ready rd = nt.handleReady(1);
        assertThat(rd.readStates()).as("answered before the heartbeat round").isEmpty();
        assertThat(rd.messages()).filteredOn(m -> m.getType() == MessageType.MsgHeartbeat)
                .extracting(Message::getTo).containsExactlyInAnyOrder(2L, 3L);

        nt.stabilize();
        assertThat(nt.readStates(1)).containsExactly(new ReadState(committed, ctx));
    }
}
