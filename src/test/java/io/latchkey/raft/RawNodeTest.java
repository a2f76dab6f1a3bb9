package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.quorum.JointConfig;
import io.latchkey.raft.quorum.MajorityConfig;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeI;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeTransition;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.TrackerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.latchkey.raft.NodeTestSupport.HardStateValues;
import static io.latchkey.raft.NodeTestSupport.assertSameEntries;
import static io.latchkey.raft.NodeTestSupport.assertSameReady;
import static io.latchkey.raft.NodeTestSupport.bytes;
import static io.latchkey.raft.NodeTestSupport.confChangeOf;
import static io.latchkey.raft.NodeTestSupport.entry;
import static io.latchkey.raft.NodeTestSupport.newTestConfig;
import static io.latchkey.raft.NodeTestSupport.newTestRawNode;
import static io.latchkey.raft.NodeTestSupport.ready;
import static io.latchkey.raft.NodeTestSupport.storageWithPeers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Behaviour of {@link RawNode}, ported from etcd-io/raft rawnode_test.go. */
class RawNodeTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(MessageType.class)
    void stepRefusesLocalMessagesFromOutsideAndTakesTheRest(MessageType type) {
        MemoryStorage s = new MemoryStorage(TestLoggers.discard());
        s.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
        s.append(List.of(entry(1, 1)));
        s.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setConfState(ConfState.newBuilder().addVoters(1)).setIndex(1).setTerm(1)).build());
        RawNode rn = newTestRawNode(1, 10, 1, s);

        Throwable thrown = catchThrowable(() -> rn.step(Message.newBuilder().setType(type).build()));

        if (Describe.isLocalMsg(type)) {
            // Only raft itself may produce these; a peer injecting one is refused.
            assertThat(thrown).isSameAs(StepRefusedException.LOCAL_MESSAGE);
        } else {
            // Anything else reaches the state machine; a refusal is fine, a broken invariant is not.
            if (thrown != null) {
                assertThat(thrown).isInstanceOf(RaftException.class).isNotSameAs(StepRefusedException.LOCAL_MESSAGE);
            }
        }
    }

    static Stream<Arguments> confChanges() {
        ConfChangeSingle addVoter2 = single(ConfChangeType.ConfChangeAddNode, 2);
        ConfChangeSingle addLearner2 = single(ConfChangeType.ConfChangeAddLearnerNode, 2);
        List<ConfChangeSingle> promote2Demote1 = List.of(
                single(ConfChangeType.ConfChangeAddNode, 2),
                single(ConfChangeType.ConfChangeAddLearnerNode, 1),
                single(ConfChangeType.ConfChangeAddLearnerNode, 3));
        return Stream.of(
                Arguments.of("v1 add voter",
                        ConfChangeI.of(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(2).build()),
                        cs(List.of(1L, 2L), List.of(), List.of(), List.of(), false), null),
                Arguments.of("v2 add voter, simple",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionAuto, List.of(addVoter2))),
                        cs(List.of(1L, 2L), List.of(), List.of(), List.of(), false), null),
                Arguments.of("v2 add learner, simple",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionAuto, List.of(addLearner2))),
                        cs(List.of(1L), List.of(), List.of(2L), List.of(), false), null),
                Arguments.of("v2 add learner, explicit joint",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionJointExplicit, List.of(addLearner2))),
                        cs(List.of(1L), List.of(1L), List.of(2L), List.of(), false),
                        cs(List.of(1L), List.of(), List.of(2L), List.of(), false)),
                Arguments.of("v2 add learner, implicit joint",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionJointImplicit, List.of(addLearner2))),
                        cs(List.of(1L), List.of(1L), List.of(2L), List.of(), true),
                        cs(List.of(1L), List.of(), List.of(2L), List.of(), false)),
                // Adding a voter while demoting the only one needs a joint config and LearnersNext.
                Arguments.of("v2 add voter and demote n1, auto",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionAuto, promote2Demote1)),
                        cs(List.of(2L), List.of(1L), List.of(3L), List.of(1L), true),
                        cs(List.of(2L), List.of(), List.of(1L, 3L), List.of(), false)),
                Arguments.of("v2 add voter and demote n1, explicit",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionJointExplicit, promote2Demote1)),
                        cs(List.of(2L), List.of(1L), List.of(3L), List.of(1L), false),
                        cs(List.of(2L), List.of(), List.of(1L, 3L), List.of(), false)),
                Arguments.of("v2 add voter and demote n1, implicit",
                        ConfChangeI.of(v2(ConfChangeTransition.ConfChangeTransitionJointImplicit, promote2Demote1)),
                        cs(List.of(2L), List.of(1L), List.of(3L), List.of(1L), true),
                        cs(List.of(2L), List.of(), List.of(1L, 3L), List.of(), false)));
    }

    /**
     * A conf change proposed after a normal entry commits and applies to the expected config;
     * a joint config is then left, automatically or by an explicit empty change.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("confChanges")
    void proposedConfChangeAppliesAndJointConfigIsLeft(String scenario, ConfChangeI cc, ConfState exp, ConfState exp2) {
        MemoryStorage s = storageWithPeers(1);
        RawNode rn = newTestRawNode(1, 10, 1, s);
        rn.campaign();

        boolean proposed = false;
        ByteString ccdata = null;
        ConfState applied = null;
        // Propose once leader, then run Readys until the conf change is applied.
        while (applied == null) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            for (Entry e : rd.committedEntries()) {
                ConfChangeI c = confChangeOf(e);
                if (c != null) {
                    applied = apply(rn, c);
                }
            }
            rn.advance(rd);
            if (!proposed && rd.softState() != null && rd.softState().lead() == 1) {
                rn.propose(bytes("somedata"));
                if (cc.asV1() != null) {
                    ccdata = cc.asV1().toByteString();
                    rn.proposeConfChange(cc.asV1());
                } else {
                    ccdata = cc.asV2().toByteString();
                    rn.proposeConfChange(cc.asV2());
                }
                proposed = true;
            }
        }

        // The stable log ends with exactly the two proposals, the conf change byte for byte.
        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, Config.NO_LIMIT);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).getData()).isEqualTo(bytes("somedata"));
        assertThat(entries.get(1).getType()).isEqualTo(cc.asV1() != null ? EntryType.EntryConfChange : EntryType.EntryConfChangeV2);
        assertThat(entries.get(1).getData()).isEqualTo(ccdata);
        assertThat(Describe.describeConfState(applied)).isEqualTo(Describe.describeConfState(exp));

        // An auto-leaving change has already appended the (still unstable) leave entry, which
        // is the pending conf change now.
        long maybePlusOne = ConfChanges.autoLeave(cc.asV2()) ? 1 : 0;
        assertThat(rn.raft().pendingConfIndex).isEqualTo(lastIndex + maybePlusOne);

        Ready rd = rn.ready();
        ByteString context = ByteString.EMPTY;
        if (!exp.getAutoLeave()) {
            assertThat(rd.entries()).isEmpty();
            rn.advance(rd);
            if (exp2 == null) {
                return; // a simple change: nothing more happens
            }
            context = bytes("manual");
            rn.proposeConfChange(ConfChangeV2.newBuilder().setContext(context).build());
            rd = rn.ready();
        }

        // The leave-joint change (empty, with the context if proposed by hand) comes out.
        assertThat(rd.entries()).hasSize(1);
        assertThat(rd.entries().get(0).getType()).isEqualTo(EntryType.EntryConfChangeV2);
        ConfChangeV2 leave = confChangeOf(rd.entries().get(0)).asV2();
        assertThat(Describe.describeConfChange(leave))
                .isEqualTo(Describe.describeConfChange(ConfChangeV2.newBuilder().setContext(context).build()));

        // Applying it by hand: it cannot commit on its own, as the joint quorum needs node 2.
        ConfState left = rn.applyConfChange(leave);
        assertThat(Describe.describeConfState(left)).isEqualTo(Describe.describeConfState(exp2));
        rn.advance(rd);
    }

    /** A joint config is left automatically even if leadership was lost and regained meanwhile. */
    @Test
    void jointConfigIsLeftAutomaticallyAfterLeadershipIsRegained() {
        ConfChangeV2 testCc = v2(ConfChangeTransition.ConfChangeTransitionJointImplicit,
                List.of(single(ConfChangeType.ConfChangeAddLearnerNode, 2)));
        ConfState expCs = cs(List.of(1L), List.of(1L), List.of(2L), List.of(), true);
        ConfState exp2Cs = cs(List.of(1L), List.of(), List.of(2L), List.of(), false);

        MemoryStorage s = storageWithPeers(1);
        RawNode rn = newTestRawNode(1, 10, 1, s);
        rn.campaign();
        boolean proposed = false;
        ConfState applied = null;
        while (applied == null) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            for (Entry e : rd.committedEntries()) {
                if (e.getType() == EntryType.EntryConfChangeV2) {
                    // A higher term forces the leader down just before the change applies.
                    rn.step(Message.newBuilder().setType(MessageType.MsgHeartbeatResp).setFrom(1)
                            .setTerm(rn.raft().term + 1).build());
                    applied = apply(rn, confChangeOf(e));
                }
            }
            rn.advance(rd);
            if (!proposed && rd.softState() != null && rd.softState().lead() == 1) {
                rn.propose(bytes("somedata"));
                rn.proposeConfChange(testCc);
                proposed = true;
            }
        }

        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, Config.NO_LIMIT);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).getData()).isEqualTo(bytes("somedata"));
        assertThat(entries.get(1).getType()).isEqualTo(EntryType.EntryConfChangeV2);
        assertThat(entries.get(1).getData()).isEqualTo(testCc.toByteString());
        assertThat(Describe.describeConfState(applied)).isEqualTo(Describe.describeConfState(expCs));
        // Stepping down cleared the pending conf change.
        assertThat(rn.raft().pendingConfIndex).isZero();

        // As a follower it must not propose leaving the joint config. (Go peeks with
        // readyWithoutAccept, which is private here; taking and advancing the Ready is
        // equivalent for what follows.)
        Ready rd = rn.ready();
        assertThat(rd.entries()).isEmpty();
        rn.advance(rd);

        // Leader again: once the new term's entry applies, it leaves the joint config itself.
        rn.campaign();
        for (int i = 0; i < 3; i++) {
            rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
        }
        rd = rn.ready();
        s.append(rd.entries());
        assertThat(rd.entries()).hasSize(1);
        assertThat(rd.entries().get(0).getType()).isEqualTo(EntryType.EntryConfChangeV2);
        ConfChangeV2 leave = confChangeOf(rd.entries().get(0)).asV2();
        assertThat(Describe.describeConfChange(leave)).isEqualTo(Describe.describeConfChange(ConfChangeV2.getDefaultInstance()));
        // Pretend it applied: with a single voter it could not commit under the joint quorum anyway.
        assertThat(Describe.describeConfState(rn.applyConfChange(leave))).isEqualTo(Describe.describeConfState(exp2Cs));
    }

    /** Proposing to add a node twice does not get in the way of adding another one. */
    @Test
    void duplicateAddNodeProposalDoesNotBlockTheNextChange() {
        MemoryStorage s = storageWithPeers(1);
        RawNode rn = newTestRawNode(1, 10, 1, s);
        Ready rd = rn.ready();
        s.append(rd.entries());
        rn.advance(rd);

        rn.campaign();
        while (true) {
            rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
            if (rd.softState() != null && rd.softState().lead() == 1) {
                break;
            }
        }

        ConfChange cc1 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(1).build();
        ConfChange cc2 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(2).build();
        proposeConfChangeAndApply(rn, s, cc1);
        proposeConfChangeAndApply(rn, s, cc1);
        proposeConfChangeAndApply(rn, s, cc2);

        // The log ends with cc1, (the duplicate, possibly neutralised), cc2.
        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 2, lastIndex + 1, Config.NO_LIMIT);
        assertThat(entries).hasSize(3);
        assertThat(entries.get(0).getData()).isEqualTo(cc1.toByteString());
        assertThat(entries.get(2).getData()).isEqualTo(cc2.toByteString());
    }

    private static void proposeConfChangeAndApply(RawNode rn, MemoryStorage s, ConfChange cc) {
        rn.proposeConfChange(cc);
        Ready rd = rn.ready();
        s.append(rd.entries());
        for (Entry e : rd.committedEntries()) {
            if (e.getType() == EntryType.EntryConfChange) {
                rn.applyConfChange(confChangeOf(e).asV1());
            }
        }
        rn.advance(rd);
    }

    /**
     * ReadStates come out in a Ready and are handed over only once; a read index requested
     * from the (single-voter) leader reaches raft and is answered with the commit index.
     */
    @Test
    void readStatesAreHandedOutOnceAndReadIndexReachesRaft() {
        List<ReadState> wrs = List.of(new ReadState(1, bytes("somedata")));
        MemoryStorage s = storageWithPeers(1);
        RawNode rn = newTestRawNode(1, 10, 1, s);
        rn.raft().readStates = new ArrayList<>(wrs);

        assertThat(rn.hasReady()).isTrue();
        Ready rd = rn.ready();
        assertThat(rd.readStates()).isEqualTo(wrs);
        s.append(rd.entries());
        rn.advance(rd);
        assertThat(rn.raft().readStates).isEmpty();

        rn.campaign();
        while (true) {
            rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
            if (rd.softState() != null && rd.softState().lead() == 1) {
                break;
            }
        }
        // Go swaps the step function to catch the MsgReadIndex; there is no such hook here, so
        // observe its effect instead: a lone voter answers at once, once its term's entry commits.
        while (rn.raft().raftLog.applied < rn.raft().raftLog.lastIndex()) {
            rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
        }
        ByteString wrequestCtx = bytes("somedata2");
        rn.readIndex(wrequestCtx);
        rd = rn.ready();
        assertThat(rd.readStates()).containsExactly(new ReadState(rn.raft().raftLog.committed, wrequestCtx));
        rn.advance(rd);
    }

    /**
     * A node bootstrapped by the application (a snapshot with the config at index 1, no faux
     * conf change entries) elects itself and commits a proposal.
     */
    @Test
    void startFromApplicationBootstrappedStorage() {
        List<Entry> entries = List.of(entry(1, 2), entry(1, 3, "foo"));
        Ready want = ready(new HardStateValues(1, 1, 3), List.of(), entries, false);

        MemoryStorage storage = new MemoryStorage(TestLoggers.discard());
        Storage.InitialState initial = storage.initialState();
        assertThat(Ready.isEmptyHardState(initial.hardState())).isTrue();
        assertThat(initial.confState().getVotersList()).isEmpty();
        // The log begins after index 1, so an empty follower can only join through a snapshot
        // carrying the config (as CockroachDB bootstraps).
        storage.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setIndex(1).setTerm(0).setConfState(ConfState.newBuilder().addVoters(1))).build());
        assertThat(storage.firstIndex()).isEqualTo(2);
        assertThat(storage.lastIndex()).isEqualTo(1);

        RawNode rn = newTestRawNode(1, 10, 1, storage);
        assertThat(rn.hasReady()).isFalse();

        rn.campaign();
        Ready rd = rn.ready();
        storage.append(rd.entries());
        rn.advance(rd);
        rn.propose(bytes("foo"));
        assertThat(rn.hasReady()).isTrue();

        rd = rn.ready();
        assertSameEntries(rd.entries(), entries);
        storage.append(rd.entries());
        rn.advance(rd);

        assertThat(rn.hasReady()).isTrue();
        rd = rn.ready();
        assertThat(rd.entries()).isEmpty();
        assertThat(rd.mustSync()).as("only applying, not appending").isFalse();
        rn.advance(rd);

        Ready withoutSoftState = new Ready(null, rd.hardState(), rd.readStates(), rd.entries(), rd.snapshot(),
                rd.committedEntries(), rd.messages(), rd.mustSync());
        assertSameReady(withoutSoftState, want);
        assertThat(rn.hasReady()).isFalse();
    }

    /** A restarted node applies what its hard state says is committed, and nothing more. */
    @Test
    void restartAppliesUpToThePersistedCommit() {
        List<Entry> entries = List.of(entry(1, 1), entry(1, 2, "foo"));
        MemoryStorage storage = storageWithPeers(1);
        storage.setHardState(new HardStateValues(1, 0, 1).build());
        storage.append(entries);
        RawNode rn = newTestRawNode(1, 10, 1, storage);

        Ready rd = rn.ready();
        // Nothing to persist: the hard state is unchanged and there are no new entries.
        assertSameReady(rd, ready(null, List.of(), entries.subList(0, 1), false));
        rn.advance(rd);
        assertThat(rn.hasReady()).isFalse();
    }

    @Test
    void restartFromSnapshotAppliesTheEntriesAfterIt() {
        Snapshot snap = Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)).setIndex(2).setTerm(1)).build();
        List<Entry> entries = List.of(entry(1, 3, "foo"));
        MemoryStorage s = new MemoryStorage(TestLoggers.discard());
        s.setHardState(new HardStateValues(1, 0, 3).build());
        s.applySnapshot(snap);
        s.append(entries);
        RawNode rn = newTestRawNode(1, 10, 1, s);

        Ready rd = rn.ready();
        assertSameReady(rd, ready(null, List.of(), entries, false));
        rn.advance(rd);
        assertThat(rn.hasReady()).isFalse();
    }

    /** Status carries progress only on a leader, and then the tracker's config. */
    @Test
    void statusShowsProgressAndConfigOnceLeader() {
        MemoryStorage s = storageWithPeers(1);
        RawNode rn = newTestRawNode(1, 10, 1, s);
        assertThat(rn.status().progress()).isEmpty();
        rn.campaign();
        Ready rd = rn.ready();
        s.append(rd.entries());
        rn.advance(rd);

        Status status = rn.status();
        assertThat(status.basic().softState().lead()).isEqualTo(1);
        assertThat(status.basic().softState().raftState()).isEqualTo(StateType.StateLeader);
        Progress own = rn.raft().trk.progress().get(1L);
        assertThat(status.progress().get(1L)).hasToString(own.toString());
        assertThat(status.progress().get(1L).match()).isEqualTo(own.match());
        assertThat(status.config()).isEqualTo(new TrackerConfig(
                new JointConfig(MajorityConfig.of(1), new MajorityConfig()), false, new MajorityConfig(), new MajorityConfig()));
    }

    /**
     * Regression: a storage that returns more than the size hint must not make the node skip
     * an entry when applying after a restart (the app would lose a write).
     */
    @Test
    void commitPaginationAfterRestartLeavesNoGapInAppliedEntries() {
        MemoryStorage ms = storageWithPeers(1);
        ms.setHardState(new HardStateValues(1, 1, 10).build());
        List<Entry> ents = new ArrayList<>();
        long size = 0;
        for (int i = 0; i < 10; i++) {
            Entry e = Entry.newBuilder().setTerm(1).setIndex(i + 1).setType(EntryType.EntryNormal).setData(bytes("a")).build();
            ents.add(e);
            size += e.getSerializedSize();
        }
        ms.append(ents);
        NodeTestSupport.EntriesOverrideStorage s = NodeTestSupport.EntriesOverrideStorage.ignoringSizeHint(ms);

        Config cfg = newTestConfig(1, 10, 1, s);
        // Suggest that the last committed entry should not fit in the first batch; the storage
        // ignores that and returns it anyway.
        cfg.maxSizePerMsg(size - ents.get(9).getSerializedSize() - 1);
        ms.append(List.of(Entry.newBuilder().setTerm(1).setIndex(11).setType(EntryType.EntryNormal).setData(bytes("boom")).build()));
        RawNode rn = new RawNode(cfg);

        long highestApplied = 0;
        while (highestApplied != 11) {
            Ready rd = rn.ready();
            int n = rd.committedEntries().size();
            assertThat(n).as("stopped applying entries at index %d", highestApplied).isNotZero();
            long next = rd.committedEntries().get(0).getIndex();
            assertThat(highestApplied == 0 || highestApplied + 1 == next)
                    .as("applying index %d after index %d leaves a gap", next, highestApplied).isTrue();
            highestApplied = rd.committedEntries().get(n - 1).getIndex();
            rn.advance(rd);
            // A heartbeat from a non-member, but it tells the follower that index 11 is committed.
            rn.step(Message.newBuilder().setType(MessageType.MsgHeartbeat).setTo(1).setFrom(2).setTerm(1).setCommit(11).build());
        }
    }

    /**
     * A leader cut off from its quorum keeps proposing, but its uncommitted tail stays within
     * MaxUncommittedEntriesSize and shrinks back to zero once the entries commit and apply.
     */
    @Test
    void uncommittedLogStaysBoundedWhileLeaderIsPartitioned() {
        int maxEntries = 16;
        ByteString data = bytes("testdata");
        long maxEntrySize = maxEntries * EntrySizes.payloadSize(Entry.newBuilder().setData(data).build());

        MemoryStorage s = storageWithPeers(1);
        Config cfg = newTestConfig(1, 10, 1, s).maxUncommittedEntriesSize(maxEntrySize);
        RawNode rn = new RawNode(cfg);
        rn.campaign();
        while (true) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
            if (!rd.committedEntries().isEmpty()) {
                break;
            }
        }

        // Without Readys being handled nothing commits, as if the leader were partitioned.
        for (int i = 0; i < 1024; i++) {
            try {
                rn.propose(data);
            } catch (ProposalDroppedException e) {
                // Expected once the limit is reached.
            }
        }
        assertThat(rn.raft().uncommittedSize).isEqualTo(maxEntrySize);

        Ready rd = rn.ready();
        assertThat(rd.entries()).hasSize(maxEntries);
        s.append(rd.entries());
        rn.advance(rd);
        // Appended but not yet applied: still counted.
        assertThat(rn.raft().uncommittedSize).isEqualTo(maxEntrySize);

        rd = rn.ready();
        assertThat(rd.entries()).isEmpty();
        assertThat(rd.committedEntries()).hasSize(maxEntries);
        rn.advance(rd);
        assertThat(rn.raft().uncommittedSize).isZero();
    }

    /** Ready takes the pending messages over; a message queued after it survives Advance. */
    @Test
    void readyConsumesMessagesAndAdvanceKeepsNewOnes() {
        RawNode rn = newTestRawNode(1, 3, 1, storageWithPeers(1));
        Message m1 = Message.newBuilder().setContext(bytes("foo")).build();
        Message m2 = Message.newBuilder().setContext(bytes("bar")).build();

        rn.raft().msgs.add(m1);
        Ready rd = rn.ready();
        assertThat(rn.raft().msgs).isEmpty();
        assertThat(rd.messages()).containsExactly(m1);

        rn.raft().msgs.add(m2);
        rn.advance(rd);
        assertThat(rn.raft().msgs).containsExactly(m2);
    }

    @Test
    void advanceIsRefusedWithAsyncStorageWrites() {
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, storageWithPeers(1)).asyncStorageWrites(true));
        Ready rd = rn.ready();
        assertThatThrownBy(() -> rn.advance(rd)).isInstanceOf(RaftPanicException.class);
    }

    private static ConfState apply(RawNode rn, ConfChangeI cc) {
        return cc.asV1() != null ? rn.applyConfChange(cc.asV1()) : rn.applyConfChange(cc.asV2());
    }

    private static ConfChangeSingle single(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    private static ConfChangeV2 v2(ConfChangeTransition transition, List<ConfChangeSingle> changes) {
        // Like etcd's literals, the default (auto) transition is left unset in the encoding.
        ConfChangeV2.Builder b = ConfChangeV2.newBuilder().addAllChanges(changes);
        if (transition != ConfChangeTransition.ConfChangeTransitionAuto) {
            b.setTransition(transition);
        }
        return b.build();
    }

    private static ConfState cs(List<Long> voters, List<Long> outgoing, List<Long> learners, List<Long> learnersNext,
                                boolean autoLeave) {
        return ConfState.newBuilder().addAllVoters(voters).addAllVotersOutgoing(outgoing).addAllLearners(learners)
                .addAllLearnersNext(learnersNext).setAutoLeave(autoLeave).build();
    }
}
