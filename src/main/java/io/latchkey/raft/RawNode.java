package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfChange;
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
import io.latchkey.raft.tracker.Progress;

import java.util.ArrayList;
import java.util.List;

/**
 * A Raft node driven by the caller's own thread (etcd-io/raft {@code rawnode.go}). It is not
 * thread-safe: one thread ticks it, steps messages into it and handles its {@link Ready}s in
 * the order the {@link Ready} documents. {@link Node} wraps it for use from many threads.
 */
public final class RawNode {
    /** With async storage writes, the target of the messages that ask for persistence. */
    public static final long LOCAL_APPEND_THREAD = Raft.LOCAL_APPEND_THREAD;
    /** With async storage writes, the target of the messages that ask for application. */
    public static final long LOCAL_APPLY_THREAD = Raft.LOCAL_APPLY_THREAD;

    private final Raft raft;
    private final boolean asyncStorageWrites;
    private SoftState prevSoftState;
    private HardState prevHardState;
    /** Local responses (own votes, append and apply acknowledgements) to step on advance. */
    private final List<Message> stepsOnAdvance = new ArrayList<>();

    /**
     * Creates a node from a config; the storage's initial state decides whether it is new or
     * restarting.
     *
     * @throws IllegalArgumentException if the config is invalid
     */
    public RawNode(Config config) {
        this.raft = new Raft(config);
        this.asyncStorageWrites = config.asyncStorageWrites();
        this.prevSoftState = raft.softState();
        this.prevHardState = raft.hardState();
    }

    /** Advances the logical clock by one tick. */
    public void tick() {
        raft.tick();
    }

    /**
     * Advances the election clock without doing anything else, for a quiesced group whose
     * leader sends no heartbeats. Mind that a follower may then campaign when ticks resume.
     */
    public void tickQuiesced() {
        raft.electionElapsed++;
    }

    /** Makes this node campaign to become leader. */
    public void campaign() {
        raft.step(Message.newBuilder().setType(MessageType.MsgHup).build());
    }

    /**
     * Proposes data to be appended to the log.
     *
     * @throws ProposalDroppedException if the proposal cannot be accepted now
     */
    public void propose(ByteString data) {
        raft.step(Message.newBuilder()
                .setType(MessageType.MsgProp)
                .setFrom(raft.id)
                .addEntries(Entry.newBuilder().setData(data))
                .build());
    }

    /**
     * Proposes several entries at once. They are appended together and sent to the followers
     * in one append message each, instead of one message per entry: the way to keep many
     * proposals in flight cheaply.
     *
     * @throws ProposalDroppedException if the proposals cannot be accepted now (all of them)
     */
    public void propose(List<ByteString> data) {
        if (data.isEmpty()) {
            return;
        }
        Message.Builder m = Message.newBuilder().setType(MessageType.MsgProp).setFrom(raft.id);
        for (ByteString d : data) {
            m.addEntries(Entry.newBuilder().setData(d));
        }
        raft.step(m.build());
    }

    /** Proposes a configuration change; it takes effect when applied with {@link #applyConfChange}. */
    public void proposeConfChange(ConfChange cc) {
        raft.step(Raft.confChangeToMsg(cc));
    }

    /** Proposes a configuration change; it takes effect when applied with {@link #applyConfChange}. */
    public void proposeConfChange(ConfChangeV2 cc) {
        raft.step(Raft.confChangeToMsg(cc));
    }

    /**
     * Whether this node, as leader, would ignore a simple configuration change proposed now:
     * while an earlier change may be unapplied (or the configuration is joint), the leader
     * appends an empty entry in its place and the proposer is never told. Not in etcd's API;
     * an application that waits for its change to be applied asks this first rather than
     * wait for an entry that will never come. False on a follower (it forwards proposals).
     */
    public boolean refusesConfChange() {
        boolean alreadyPending = raft.pendingConfIndex > raft.raftLog.applied;
        boolean alreadyJoint = !raft.trk.config().voters().outgoing().isEmpty();
        return raft.state == StateType.StateLeader && !raft.disableConfChangeValidation && (alreadyPending || alreadyJoint);
    }

    /** Applies a committed configuration change and returns the new configuration. */
    public ConfState applyConfChange(ConfChange cc) {
        return raft.applyConfChange(ConfChanges.asV2(cc));
    }

    /** Applies a committed configuration change and returns the new configuration. */
    public ConfState applyConfChange(ConfChangeV2 cc) {
        return raft.applyConfChange(cc);
    }

    /**
     * Feeds a message received from a peer (or from a local storage thread).
     *
     * @throws RaftException if the message may not be stepped from outside
     */
    public void step(Message m) {
        // Local messages are generated here; a peer must never be able to inject one.
        if (Describe.isLocalMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())) {
            throw StepRefusedException.LOCAL_MESSAGE;
        }
        // A response from a node that is not (or no longer) a member means nothing here.
        if (Describe.isResponseMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())
                && raft.trk.progress().get(m.getFrom()) == null) {
            throw StepRefusedException.PEER_NOT_FOUND;
        }
        raft.step(m);
    }

    /**
     * Returns what the application must do now and takes it as handed over: the next call
     * returns only what is new. Without async storage writes, call {@link #advance} once the
     * Ready is handled.
     */
    public Ready ready() {
        Ready rd = readyWithoutAccept();
        acceptReady(rd);
        return rd;
    }

    private Ready readyWithoutAccept() {
        Raft r = raft;
        List<Entry> entries = r.raftLog.nextUnstableEnts();
        List<Entry> committed = r.raftLog.nextCommittedEnts(applyUnstableEntries());
        SoftState softState = r.softState();
        if (softState.equals(prevSoftState)) {
            softState = null;
        }
        HardState hardState = r.hardState();
        HardState readyHardState = Ready.isHardStateEqual(hardState, prevHardState) ? HardState.getDefaultInstance() : hardState;
        Snapshot snapshot = r.raftLog.hasNextUnstableSnapshot() ? r.raftLog.nextUnstableSnapshot() : Snapshot.getDefaultInstance();
        List<ReadState> readStates = r.readStates.isEmpty() ? List.of() : List.copyOf(r.readStates);
        boolean mustSync = Ready.mustSync(hardState, prevHardState, entries.size());

        List<Message> messages = new ArrayList<>(r.msgs);
        Ready partial = new Ready(softState, readyHardState, readStates, entries, snapshot, committed, List.of(), mustSync);
        if (asyncStorageWrites) {
            if (needStorageAppendMsg(partial)) {
                messages.add(newStorageAppendMsg(partial));
            }
            if (!committed.isEmpty()) {
                messages.add(newStorageApplyMsg(committed));
            }
        } else {
            // Responses to others leave with this Ready (after persistence, by the caller's
            // contract); our own are stepped on advance.
            for (Message m : r.msgsAfterAppend) {
                if (m.getTo() != r.id) {
                    messages.add(m);
                }
            }
        }
        return new Ready(softState, readyHardState, readStates, entries, snapshot, committed,
                List.copyOf(messages), mustSync);
    }

    private boolean needStorageAppendMsg(Ready rd) {
        return !rd.entries().isEmpty()
                || !Ready.isEmptyHardState(rd.hardState())
                || !Ready.isEmptySnap(rd.snapshot())
                || !raft.msgsAfterAppend.isEmpty();
    }

    private boolean needStorageAppendRespMsg(Ready rd) {
        return raft.raftLog.hasNextOrInProgressUnstableEnts() || !Ready.isEmptySnap(rd.snapshot());
    }

    /**
     * The message for the append thread: persist these entries, hard state and snapshot,
     * then deliver the responses (which include the vote and append acknowledgements that
     * must wait for durability).
     */
    private Message newStorageAppendMsg(Ready rd) {
        Message.Builder m = Message.newBuilder()
                .setType(MessageType.MsgStorageAppend)
                .setTo(Raft.LOCAL_APPEND_THREAD)
                .setFrom(raft.id)
                .addAllEntries(rd.entries());
        if (!Ready.isEmptyHardState(rd.hardState())) {
            m.setTerm(rd.hardState().getTerm()).setVote(rd.hardState().getVote()).setCommit(rd.hardState().getCommit());
        }
        if (!Ready.isEmptySnap(rd.snapshot())) {
            m.setSnapshot(rd.snapshot());
        }
        m.addAllResponses(raft.msgsAfterAppend);
        if (needStorageAppendRespMsg(rd)) {
            m.addResponses(newStorageAppendRespMsg(rd));
        }
        return m.build();
    }

    /**
     * Tells raft what became durable: the last unstable entry at the time of the Ready (which
     * may be later than this Ready's own entries) and the snapshot.
     */
    private Message newStorageAppendRespMsg(Ready rd) {
        Message.Builder m = Message.newBuilder()
                .setType(MessageType.MsgStorageAppendResp)
                .setTo(raft.id)
                .setFrom(Raft.LOCAL_APPEND_THREAD)
                .setTerm(raft.term);
        if (raft.raftLog.hasNextOrInProgressUnstableEnts()) {
            EntryId last = raft.raftLog.lastEntryID();
            m.setIndex(last.index()).setLogTerm(last.term());
        }
        if (!Ready.isEmptySnap(rd.snapshot())) {
            m.setSnapshot(rd.snapshot());
        }
        return m.build();
    }

    private Message newStorageApplyMsg(List<Entry> committed) {
        // Committed entries are applied under no particular term, hence term 0.
        return Message.newBuilder()
                .setType(MessageType.MsgStorageApply)
                .setTo(Raft.LOCAL_APPLY_THREAD)
                .setFrom(raft.id)
                .setTerm(0)
                .addAllEntries(committed)
                .addResponses(newStorageApplyRespMsg(committed))
                .build();
    }

    private Message newStorageApplyRespMsg(List<Entry> committed) {
        return Message.newBuilder()
                .setType(MessageType.MsgStorageApplyResp)
                .setTo(raft.id)
                .setFrom(Raft.LOCAL_APPLY_THREAD)
                .setTerm(0)
                .addAllEntries(committed)
                .build();
    }

    /** Marks a Ready as handed over, so that the next one holds only what is new. */
    private void acceptReady(Ready rd) {
        if (rd.softState() != null) {
            prevSoftState = rd.softState();
        }
        if (!Ready.isEmptyHardState(rd.hardState())) {
            prevHardState = rd.hardState();
        }
        if (!rd.readStates().isEmpty()) {
            raft.readStates = new ArrayList<>();
        }
        if (!asyncStorageWrites) {
            if (!stepsOnAdvance.isEmpty()) {
                throw raft.logger.panic("two accepted Ready structs without call to Advance");
            }
            for (Message m : raft.msgsAfterAppend) {
                if (m.getTo() == raft.id) {
                    stepsOnAdvance.add(m);
                }
            }
            if (needStorageAppendRespMsg(rd)) {
                stepsOnAdvance.add(newStorageAppendRespMsg(rd));
            }
            if (!rd.committedEntries().isEmpty()) {
                stepsOnAdvance.add(newStorageApplyRespMsg(rd.committedEntries()));
            }
        }
        raft.msgs = new ArrayList<>();
        raft.msgsAfterAppend = new ArrayList<>();
        raft.raftLog.acceptUnstable();
        if (!rd.committedEntries().isEmpty()) {
            List<Entry> committed = rd.committedEntries();
            long index = committed.get(committed.size() - 1).getIndex();
            raft.raftLog.acceptApplying(index, EntrySizes.entsSize(committed), applyUnstableEntries());
        }

        StateTrace.traceReady(raft);
    }

    /**
     * Whether entries may be applied before they are durable locally. With synchronous
     * storage the caller persists a Ready's entries before applying its committed entries,
     * so yes; with async writes only the append thread knows, so no.
     */
    private boolean applyUnstableEntries() {
        return !asyncStorageWrites;
    }

    /** Whether {@link #ready} would return anything. */
    public boolean hasReady() {
        Raft r = raft;
        // Compared field by field: this runs after every event, so it builds nothing.
        if (r.lead != prevSoftState.lead() || r.state != prevSoftState.raftState()) {
            return true;
        }
        long commit = r.raftLog.committed;
        boolean hardStateEmpty = r.term == 0 && r.vote == 0 && commit == 0;
        if (!hardStateEmpty && (r.term != prevHardState.getTerm() || r.vote != prevHardState.getVote()
                || commit != prevHardState.getCommit())) {
            return true;
        }
        if (r.raftLog.hasNextUnstableSnapshot()) {
            return true;
        }
        if (!r.msgs.isEmpty() || !r.msgsAfterAppend.isEmpty()) {
            return true;
        }
        if (r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts(applyUnstableEntries())) {
            return true;
        }
        return !r.readStates.isEmpty();
    }

    /**
     * Tells the node the last Ready is handled: persisted, sent and applied. Not used with
     * async storage writes, where the storage threads' responses carry that news.
     */
    public void advance(Ready rd) {
        if (asyncStorageWrites) {
            throw raft.logger.panic("Advance must not be called when using AsyncStorageWrites");
        }
        List<Message> steps = List.copyOf(stepsOnAdvance);
        stepsOnAdvance.clear();
        for (Message m : steps) {
            try {
                raft.step(m);
            } catch (RaftException e) {
                // Local acknowledgements cannot be refused in a way the caller could act on.
            }
        }
    }

    public Status status() {
        return Status.of(raft);
    }

    public BasicStatus basicStatus() {
        return BasicStatus.of(raft);
    }

    /** Receives a copy of each peer's progress, without its inflight window. */
    @FunctionalInterface
    public interface ProgressVisitor {
        void visit(long id, ProgressType type, Progress progress);
    }

    /** Visits every peer's progress without allocating a full {@link Status}. */
    public void withProgress(ProgressVisitor visitor) {
        raft.trk.visit((id, pr) -> visitor.visit(id,
                pr.isLearner() ? ProgressType.ProgressTypeLearner : ProgressType.ProgressTypePeer, pr.copyWithoutInflights()));
    }

    /** Reports that the last message to {@code id} could not be delivered. */
    public void reportUnreachable(long id) {
        stepQuietly(Message.newBuilder().setType(MessageType.MsgUnreachable).setFrom(id).build());
    }

    /** Reports whether a snapshot sent to {@code id} arrived. */
    public void reportSnapshot(long id, SnapshotStatus status) {
        boolean rejected = status == SnapshotStatus.SnapshotFailure;
        stepQuietly(Message.newBuilder().setType(MessageType.MsgSnapStatus).setFrom(id).setReject(rejected).build());
    }

    /** Asks the leader to hand leadership to {@code transferee}. */
    public void transferLeader(long transferee) {
        stepQuietly(Message.newBuilder().setType(MessageType.MsgTransferLeader).setFrom(transferee).build());
    }

    /**
     * Makes a follower forget its leader, so that it may vote for another at once (for a
     * leader known to be gone). Ignored by leaders and by followers with CheckQuorum, whose
     * leader may serve lease reads (see the package documentation, "Lease reads").
     */
    public void forgetLeader() {
        raft.step(Message.newBuilder().setType(MessageType.MsgForgetLeader).build());
    }

    /**
     * Requests a read index; the answer arrives as a {@link ReadState} carrying {@code rctx}
     * in a later Ready. Without a leader the request is dropped, so callers retry on timeout.
     */
    public void readIndex(ByteString rctx) {
        stepQuietly(Message.newBuilder()
                .setType(MessageType.MsgReadIndex)
                .addEntries(Entry.newBuilder().setData(rctx))
                .build());
    }

    /**
     * Like {@link #readIndex(ByteString)}, with the read mode chosen for this request instead
     * of the configured one. A lease-based read falls back to the safe mode unless check
     * quorum is on.
     */
    public void readIndex(ByteString rctx, ReadOnlyOption mode) {
        stepQuietly(Message.newBuilder()
                .setType(MessageType.MsgReadIndex)
                .setContext(mode == ReadOnlyOption.ReadOnlyLeaseBased ? Raft.LEASE_READ_CONTEXT : Raft.SAFE_READ_CONTEXT)
                .addEntries(Entry.newBuilder().setData(rctx))
                .build());
    }

    private void stepQuietly(Message m) {
        try {
            raft.step(m);
        } catch (RaftException e) {
            // These requests are advisory; a refusal needs no answer.
        }
    }

    /**
     * Sets up a brand-new cluster of {@code peers} on an empty storage, as if each had been
     * added by a committed conf change. The entries are committed but not yet persisted: the
     * first Ready carries them.
     *
     * @throws IllegalStateException if there are no peers or the storage is not empty
     */
    public void bootstrap(List<Peer> peers) {
        if (peers.isEmpty()) {
            throw new IllegalStateException("must provide at least one peer to Bootstrap");
        }
        if (raft.raftLog.storage.lastIndex() != 0) {
            throw new IllegalStateException("can't bootstrap a nonempty Storage");
        }
        // The bootstrap hard state must reach the first Ready even if it equals nothing new.
        prevHardState = HardState.getDefaultInstance();

        raft.becomeFollower(1, Raft.NONE);
        List<Entry> entries = new ArrayList<>(peers.size());
        for (int i = 0; i < peers.size(); i++) {
            Peer peer = peers.get(i);
            ConfChange.Builder cc = ConfChange.newBuilder()
                    .setType(ConfChangeType.ConfChangeAddNode)
                    .setNodeId(peer.id());
            // An absent context stays absent, so the entry's bytes are exactly etcd's.
            if (!peer.context().isEmpty()) {
                cc.setContext(peer.context());
            }
            entries.add(Entry.newBuilder()
                    .setType(EntryType.EntryConfChange)
                    .setTerm(1)
                    .setIndex(i + 1)
                    .setData(cc.build().toByteString())
                    .build());
        }
        raft.raftLog.append(entries);

        // The entries are committed so that they are applied; applying them again through
        // the Ready is harmless because adding a present node is a no-op.
        raft.raftLog.committed = entries.size();
        for (Peer peer : peers) {
            raft.applyConfChange(ConfChanges.asV2(ConfChange.newBuilder()
                    .setNodeId(peer.id())
                    .setType(ConfChangeType.ConfChangeAddNode)
                    .build()));
        }
    }

    /** For tests of this package: the state machine behind this node. */
    Raft raft() {
        return raft;
    }
}
