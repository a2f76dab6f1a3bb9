package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import io.latchkey.raft.tracker.Progress;
import org.junit.jupiter.api.Test;

import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A leader sending snapshots (etcd's {@code raft_snap_test.go}): how a follower's progress
 * enters, waits in and leaves the snapshot state.
 */
class RaftSnapshotTest {
    /** A snapshot at an arbitrary point (index and term 11) of a two-voter cluster. */
    private static final Snapshot SNAP = Snapshot.newBuilder()
            .setMetadata(SnapshotMetadata.newBuilder()
                    .setIndex(11)
                    .setTerm(11)
                    .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)))
            .build();

    /** Node 1 restored from {@link #SNAP} and elected; its log starts after the snapshot. */
    private static Raft leaderFromSnapshot(long... initialPeers) {
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(initialPeers)));
        sm.restore(SNAP);
        sm.becomeCandidate();
        sm.becomeLeader();
        return sm;
    }

    @Test
    void followerNeedingCompactedEntries_getsTheSnapshotAndIsMarkedAsWaitingForIt() {
        // The membership comes from the snapshot, not from the storage's initial one.
        Raft sm = leaderFromSnapshot(1);
        Progress pr2 = sm.trk.progress().get(2L);
        // Node 2 lacks the entry before the leader's first one: only the snapshot can help.
        pr2.setNext(sm.raftLog.firstIndex());

        sm.step(msg(2, 1, MessageType.MsgAppResp).setIndex(pr2.next() - 1).setReject(true).build());

        assertThat(sm.trk.progress().get(2L).pendingSnapshot()).isEqualTo(11);
    }

    @Test
    void pendingSnapshot_pausesReplicationToThatFollower() {
        Raft sm = leaderFromSnapshot(1, 2);
        sm.trk.progress().get(2L).becomeSnapshot(11);

        sm.step(proposal(1, "somedata"));

        assertThat(readMessages(sm)).isEmpty();
    }

    @Test
    void failedSnapshot_returnsTheFollowerToProbingFromWhereItWas() {
        Raft sm = leaderFromSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        pr2.setNext(1);
        pr2.becomeSnapshot(11);

        sm.step(msg(2, 1, MessageType.MsgSnapStatus).setReject(true).build());

        assertThat(pr2.pendingSnapshot()).isZero();
        assertThat(pr2.next()).isEqualTo(1);
        assertThat(pr2.msgAppFlowPaused()).isTrue();
    }

    @Test
    void appliedSnapshot_returnsTheFollowerToProbingAfterTheSnapshot() {
        Raft sm = leaderFromSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        pr2.setNext(1);
        pr2.becomeSnapshot(11);

        sm.step(msg(2, 1, MessageType.MsgSnapStatus).setReject(false).build());

        assertThat(pr2.pendingSnapshot()).isZero();
        assertThat(pr2.next()).isEqualTo(12);
        assertThat(pr2.msgAppFlowPaused()).isTrue();
    }

    @Test
    void appendAckAtOrPastThePendingSnapshot_abortsTheSnapshot() {
        Raft sm = leaderFromSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        pr2.setNext(1);
        pr2.becomeSnapshot(11);

        // The follower caught up some other way: it already has everything the snapshot holds.
        sm.step(msg(2, 1, MessageType.MsgAppResp).setIndex(11).build());

        assertThat(pr2.pendingSnapshot()).isZero();
        // Now replicating, the follower was sent the leader's election entry (index 12) at
        // once and its next index moved past it optimistically.
        assertThat(pr2.next()).isEqualTo(13);
        assertThat(pr2.inflights().count()).isEqualTo(1);
    }
}
