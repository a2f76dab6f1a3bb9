package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import static io.latchkey.raft.RaftTestSupport.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The leader lease behind lease reads (package documentation, "Lease reads"): when it starts,
 * how long it lasts, and what voids it.
 */
class RaftLeaseTest {
    private static final int ELECTION = 10;

    /** Three check-quorum nodes; 1 is elected and its first entry committed. */
    private static Network electedCluster() {
        Network nt = Network.fresh(c -> c.checkQuorum(true), 3);
        nt.send(msg(1, 1, MessageType.MsgHup).build());
        assertThat(nt.raft(1).state).isEqualTo(StateType.StateLeader);
        return nt;
    }

    private static void heartbeatRound(Network nt, Raft leader) {
        nt.send(msg(leader.id, leader.id, MessageType.MsgBeat).build());
    }

    private static void tick(Raft r, int n) {
        for (int i = 0; i < n; i++) {
            r.tick();
        }
    }

    /**
     * The quorum computation reads missing acknowledgements as 0, which is also a real tick:
     * without the shift, a leader elected at tick 0 had a lease before anyone answered it.
     */
    @Test
    void noAcknowledgementMeansNoLease_evenAtTickZero() {
        ReadOnly ro = new ReadOnly(ReadOnlyOption.ReadOnlySafe);
        var voters = Network.fresh(c -> c.checkQuorum(true), 3).raft(1).trk.config().voters();
        assertThat(ro.leaseStartTick(voters, 1, 0, false)).isEqualTo(-1);
        assertThat(ro.leaseStartTick(voters, 1, 5, false)).isEqualTo(-1);

        ro.recvAck(2, ro.heartbeatCtxWithLease(0));
        assertThat(ro.leaseStartTick(voters, 1, 5, false)).as("1 (itself) and 2 acknowledged tick 0").isZero();
    }

    @Test
    void leaseStartsAtTheTickAQuorumEchoed() {
        ReadOnly ro = new ReadOnly(ReadOnlyOption.ReadOnlySafe);
        var voters = Network.fresh(c -> c.checkQuorum(true), 5).raft(1).trk.config().voters();
        ro.recvAck(2, ro.heartbeatCtxWithLease(7));
        ro.recvAck(3, ro.heartbeatCtxWithLease(4));
        ro.recvAck(4, ro.heartbeatCtxWithLease(9));
        // Leader at 12, then 9, 7, 4: the third highest of five is 7.
        assertThat(ro.leaseStartTick(voters, 1, 12, false)).isEqualTo(7);
    }

    /** A committed entry of the term proves a quorum heard from the leader after its election. */
    @Test
    void committedEntryOfTheTermCountsAsAcknowledgedAtTheElectionTick() {
        ReadOnly ro = new ReadOnly(ReadOnlyOption.ReadOnlySafe);
        var voters = Network.fresh(c -> c.checkQuorum(true), 3).raft(1).trk.config().voters();
        ro.leaderSince(30);
        assertThat(ro.leaseStartTick(voters, 1, 33, false)).isEqualTo(-1);
        assertThat(ro.leaseStartTick(voters, 1, 33, true)).isEqualTo(30);

        ro.forgetLeaseAcks(34);
        assertThat(ro.leaseStartTick(voters, 1, 35, true)).as("dropped with the other acks").isEqualTo(-1);
        ro.recvAck(2, ro.heartbeatCtxWithLease(33));
        assertThat(ro.leaseStartTick(voters, 1, 35, true)).as("sent before the floor").isEqualTo(-1);
        ro.recvAck(2, ro.heartbeatCtxWithLease(34));
        assertThat(ro.leaseStartTick(voters, 1, 35, true)).isEqualTo(34);
    }

    @Test
    void leaseLastsAnElectionTimeoutLessTheMargin() {
        Network nt = electedCluster();
        Raft leader = nt.raft(1);
        int margin = Config.defaultLeaseMarginTicks(ELECTION);
        assertThat(margin).isEqualTo(2);
        heartbeatRound(nt, leader);
        long start = leader.tickCount;
        nt.isolate(1);
        tick(leader, ELECTION - margin - 1);
        assertThat(leader.leaseValid()).isTrue();
        tick(leader, 1);
        assertThat(leader.tickCount).isEqualTo(start + ELECTION - margin);
        assertThat(leader.leaseValid()).isFalse();
    }

    @Test
    void marginIsConfigurable() {
        Network nt = Network.fresh(c -> c.checkQuorum(true).leaseMarginTicks(5), 3);
        nt.send(msg(1, 1, MessageType.MsgHup).build());
        Raft leader = nt.raft(1);
        heartbeatRound(nt, leader);
        nt.isolate(1);
        tick(leader, ELECTION - 5 - 1);
        assertThat(leader.leaseValid()).isTrue();
        tick(leader, 1);
        assertThat(leader.leaseValid()).isFalse();
    }

    @Test
    void marginMustLeaveALease() {
        Config c = new Config().id(1).electionTick(ELECTION).heartbeatTick(1)
                .storage(new MemoryStorage()).maxInflightMsgs(1).logger(TestLoggers.discard());
        assertThatThrownBy(() -> c.copy().leaseMarginTicks(ELECTION).validate())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease margin");
        assertThatThrownBy(() -> c.copy().leaseMarginTicks(-1).validate())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease margin");
        Config ok = c.copy().leaseMarginTicks(ELECTION - 1);
        ok.validate();
        assertThat(ok.leaseMarginTicks()).isEqualTo(ELECTION - 1);
        Config dflt = c.copy();
        dflt.validate();
        assertThat(dflt.leaseMarginTicks()).isEqualTo(2);
    }

    /** A transfer in progress voids the lease; aborting it needs fresh heartbeats to renew it. */
    @Test
    void transferInProgressSuspendsTheLease() {
        Network nt = electedCluster();
        Raft leader = nt.raft(1);
        heartbeatRound(nt, leader);
        nt.isolate(3);
        // 3 cannot catch up, so no MsgTimeoutNow goes out.
        nt.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());
        nt.send(msg(3, 1, MessageType.MsgTransferLeader).build());
        assertThat(leader.leadTransferee).isEqualTo(3);
        assertThat(leader.leaseValid()).isFalse();

        leader.abortLeaderTransfer();
        assertThat(leader.leaseValid()).as("acks from before the abort do not count").isFalse();
        heartbeatRound(nt, leader);
        assertThat(leader.leaseValid()).isTrue();
        assertThat(leader.leaseSurrendered).isFalse();
    }

    /** After MsgTimeoutNow the lease is gone for the term, however many heartbeats follow. */
    @Test
    void timeoutNowVoidsTheLeaseForTheRestOfTheTerm() {
        Network nt = electedCluster();
        Raft leader = nt.raft(1);
        heartbeatRound(nt, leader);
        nt.ignore(MessageType.MsgTimeoutNow);
        nt.send(msg(2, 1, MessageType.MsgTransferLeader).build());
        assertThat(leader.leaseSurrendered).isTrue();
        tick(leader, ELECTION);
        assertThat(leader.leadTransferee).as("aborted after an election timeout").isZero();
        heartbeatRound(nt, leader);
        assertThat(leader.state).isEqualTo(StateType.StateLeader);
        assertThat(leader.leaseValid()).isFalse();

        // A lease read is then answered only after a heartbeat round.
        leader.step(msg(1, 1, MessageType.MsgReadIndex).addEntries(
                Entry.newBuilder().setData(RaftTestSupport.bytes("r"))).setContext(Raft.LEASE_READ_CONTEXT).build());
        assertThat(leader.readStates).isEmpty();
        assertThat(leader.msgs).extracting(Message::getType).contains(MessageType.MsgHeartbeat);
    }

    /** With CheckQuorum a follower refuses to forget its leader, whatever the read option. */
    @Test
    void followerWithCheckQuorumKeepsItsLeader() {
        Network nt = electedCluster();
        Raft follower = nt.raft(2);
        follower.step(msg(0, 0, MessageType.MsgForgetLeader).build());
        assertThat(follower.lead).isEqualTo(1);

        Network plain = Network.fresh(2);
        plain.send(msg(1, 1, MessageType.MsgHup).build());
        plain.raft(2).step(msg(0, 0, MessageType.MsgForgetLeader).build());
        assertThat(plain.raft(2).lead).as("without CheckQuorum, as etcd").isZero();
    }
}
