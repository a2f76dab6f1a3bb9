package io.latchkey.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.node.proto.Command;
import io.latchkey.node.proto.Member;
import io.latchkey.node.proto.ReplicaSnapshot;
import io.latchkey.raft.BasicStatus;
import io.latchkey.raft.Config;
import io.latchkey.raft.Logger;
import io.latchkey.raft.ProposalDroppedException;
import io.latchkey.raft.RaftException;
import io.latchkey.raft.RawNode;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.ReadState;
import io.latchkey.raft.Ready;
import io.latchkey.raft.SnapOutOfDateException;
import io.latchkey.raft.SnapshotStatus;
import io.latchkey.raft.SoftState;
import io.latchkey.raft.StateType;
import io.latchkey.raft.StepRefusedException;
import io.latchkey.raft.Status;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One member of a Latchkey cluster: a {@link RawNode} with its durable log, its peers and
 * its state machine. It is single-threaded and deterministic — every method must be called
 * from one thread (the {@link ReplicaLoop}'s in production, the simulator's in tests) and
 * it reads no clock: time arrives as {@link #tick()}.
 *
 * <p>{@link #processReady()} handles a Ready in etcd's documented order: (1) messages that
 * promise nothing about local durability (the leader's appends and heartbeats) are sent
 * while (2) the entries, hard state and snapshot are persisted in one durable write; (3) the
 * remaining messages (votes, append acknowledgements) are sent only after that; (4) the
 * snapshot and the committed entries are applied; (5) the node is advanced. Committed
 * entries already persisted here are applied before (2), so that answering their callers
 * does not wait for a write that is usually just the new commit index.
 */
public final class Replica {
    private final ReplicaConfig config;
    private final LogStore logStore;
    private final PeerTransport transport;
    private final StateMachine stateMachine;
    private final Logger logger;
    private final RawNode rawNode;
    private final CrashPoints crashPoints;

    private final Map<Long, Member> members = new TreeMap<>();
    private final Map<Long, CompletableFuture<ByteString>> pendingProposals = new HashMap<>();
    private final List<ByteString> proposalBatch = new ArrayList<>();
    /** Whether {@link #proposalBatch} holds a proposal that awaits the leader's stamp. */
    private boolean batchAwaitsStamp;
    private final StampQueue stamps = new StampQueue();
    /** Async storage writes: append messages not yet handed to the writer. */
    private final List<Message> appendWork = new ArrayList<>();
    /** Read barriers asked for since the last Ready, by mode: they share one ReadIndex round. */
    private final Map<ReadOnlyOption, List<PendingRead>> readBatches = new java.util.EnumMap<>(ReadOnlyOption.class);
    /** Read barriers whose ReadIndex round is under way, by the round's request id. */
    private final Map<Long, List<PendingRead>> pendingReads = new HashMap<>();
    private final List<PendingRead> readsWaitingForApply = new ArrayList<>();
    private final AppliedRequests appliedRequests;
    private final StateHashes stateHashes = new StateHashes();

    private ConfState confState;
    private long appliedIndex;
    private long snapshotIndex;
    /** A snapshot is being serialized and saved (see {@link #maybeSnapshot}). */
    private boolean snapshotInProgress;
    /** The index of the last applied conf change that added a new member (0: none since the start). */
    private long memberAddedIndex;
    private Executor snapshotBuilder = Runnable::run;
    private Executor snapshotCompletion = Runnable::run;
    /*
     * Proposal, conf-change and read ids start at a random point at every start. The log may
     * hold entries this node proposed before a crash, which commit and apply after the restart,
     * and a read response may arrive late: with ids restarting at 1 they would be taken for
     * answers to this run's requests (a client was once told it held a lock from an old grant).
     */
    private long nextProposalId;
    private long nextReadId;
    private boolean localReadsReady;
    private boolean catchUpReadPending;
    private long knownLeader;
    private ReplicaEvents events = ReplicaEvents.NONE;
    private long term;
    /** Ticks since this replica (re)started; see {@link #receive}. */
    private long ticksSinceStart;

    private static final ByteString TRANSFER_CONTEXT = ByteString.copyFromUtf8("CampaignTransfer");

    private record PendingRead(CompletableFuture<Long> result, long[] index) {
    }

    public Replica(ReplicaConfig config, LogStore logStore, PeerTransport transport, StateMachine stateMachine,
                   Logger logger, CrashPoints crashPoints) {
        this.config = config;
        this.logStore = logStore;
        this.transport = transport;
        this.stateMachine = stateMachine;
        this.logger = logger;
        this.crashPoints = crashPoints;
        this.appliedRequests = new AppliedRequests(config.idempotencyKeysMax(), config.idempotencyTtlMillis());
        this.nextProposalId = randomIdBase(config);
        this.nextReadId = randomIdBase(config);
        Snapshot snapshot = logStore.storage().snapshot();
        this.confState = logStore.storage().initialState().confState();
        if (!Ready.isEmptySnap(snapshot)) {
            raiseCommitToSnapshot(logStore, snapshot.getMetadata().getIndex());
            restoreFromSnapshot(snapshot);
        }
        Config raftConfig = config.raftConfig(logStore.storage(), logger).applied(appliedIndex);
        this.rawNode = new RawNode(raftConfig);
    }

    /** Positive, with room to count up for the life of the process without wrapping. */
    private static long randomIdBase(ReplicaConfig config) {
        return (config.random().nextLong() >>> 2) + 1;
    }

    /** Starts a new cluster of {@code initialMembers}; the log must be empty. */
    public void bootstrap(List<Member> initialMembers) {
        rawNode.bootstrap(initialMembers.stream()
                .map(m -> new io.latchkey.raft.Peer(m.getId(), m.toByteString()))
                .toList());
    }

    public long id() {
        return config.nodeId();
    }

    int electionTicks() {
        return config.electionTicks();
    }

    /** Ticks this replica got since it started (loop only). */
    long ticksSinceStart() {
        return ticksSinceStart;
    }

    public void tick() {
        ticksSinceStart++;
        rawNode.tick();
        if (!stamps.isEmpty()) {
            releaseHeldProposals();
        }
        if (!localReadsReady && !catchUpReadPending && knownLeader != 0) {
            catchUpReadPending = true;
            readBarrier(ReadOnlyOption.ReadOnlySafe).whenComplete((index, error) -> {
                catchUpReadPending = false;
                localReadsReady = error == null;
            });
        }
    }

    /**
     * Whether local (serializable) reads may be served: once, after each start, this replica has
     * applied everything the cluster had committed by then. Until that quorum read succeeds its
     * state may be older than what it answered before a restart, and a client reading one node
     * would see time go backwards.
     */
    public boolean localReadsReady() {
        return localReadsReady;
    }

    public void campaign() {
        rawNode.campaign();
    }

    /**
     * A message from a peer; messages the node refuses (e.g. from non-members) are dropped.
     *
     * <p>For one election timeout after a start, vote requests are ignored. Before a crash
     * this replica may have heard from a leader and so promised it a lease (no vote for
     * another leader within an election timeout); the promise lives only in memory, so it is
     * kept by waiting it out. A leadership transfer is exempt: the leader asked for it.
     */
    public void receive(Message message) {
        boolean voteRequest = message.getType() == MessageType.MsgVote || message.getType() == MessageType.MsgPreVote;
        if (voteRequest && ticksSinceStart < config.electionTicks() && !message.getContext().equals(TRANSFER_CONTEXT)) {
            return;
        }
        events.received(message);
        if (message.getType() == MessageType.MsgProp) {
            message = stampForwarded(message);
            if (message.getEntriesCount() == 0) {
                return;
            }
        }
        try {
            rawNode.step(message);
        } catch (RaftException e) {
            logger.debug("%x dropped %s from %x: %s", config.nodeId(), message.getType(), message.getFrom(), e.getMessage());
        }
    }

    public void unreachable(long peerId) {
        events.peerUnreachable(peerId);
        rawNode.reportUnreachable(peerId);
    }

    public void snapshotSent(long peerId, boolean delivered) {
        rawNode.reportSnapshot(peerId, delivered ? SnapshotStatus.SnapshotFinish : SnapshotStatus.SnapshotFailure);
    }

    /**
     * Proposes a command. The future completes with the state machine's result once the
     * command is applied here, or fails with {@link ReplicaException} when its fate is not
     * known (leader lost) or it was refused (its idempotency key was used for another request).
     */
    public CompletableFuture<ByteString> propose(Proposal proposal) {
        long proposalId = nextProposalId++;
        events.proposed();
        boolean unstamped = proposal.proposedAtMillis() == Proposal.UNSTAMPED;
        Command command = Command.newBuilder()
                .setProposer(config.nodeId())
                .setProposalId(proposalId)
                .setIdempotencyKey(proposal.idempotencyKey())
                .setRequestFingerprint(proposal.requestFingerprint())
                .setProposedAtMillis(unstamped ? 0 : proposal.proposedAtMillis())
                .setAwaitingStamp(unstamped)
                .setPayload(proposal.payload())
                .build();
        CompletableFuture<ByteString> result = new CompletableFuture<>();
        result.whenComplete((applied, failure) -> events.proposalFinished(failure == null));
        if (knownLeader == 0) {
            result.completeExceptionally(ReplicaException.noLeader());
            return result;
        }
        // Proposals made between two Readies go to raft together (see flushProposals): one
        // append message per follower for the lot instead of one per proposal.
        proposalBatch.add(command.toByteString());
        batchAwaitsStamp |= unstamped;
        pendingProposals.put(proposalId, result);
        return result;
    }

    /**
     * Stamps proposals that arrive for the leader to stamp (see {@link ProposalStamper}); the
     * stamper is the service's, installed before it takes writes. Until then, proposals that
     * await a stamp are held and dropped after an election timeout, never appended unstamped.
     */
    public void setProposalStamper(ProposalStamper stamper) {
        stamps.setStamper(stamper);
    }

    /**
     * Hands the proposals batched since the last call to raft as one proposal message. A
     * follower's raft forwards them to the leader; a leader stamps the ones that await it.
     */
    private void flushProposals() {
        if (proposalBatch.isEmpty()) {
            return;
        }
        List<ByteString> batch = List.copyOf(proposalBatch);
        proposalBatch.clear();
        if (batchAwaitsStamp) {
            batchAwaitsStamp = false;
            BasicStatus status = rawNode.basicStatus();
            if (status.softState().raftState() == StateType.StateLeader) {
                batch = stamps.admit(batch, status.hardState().getTerm(), ticksSinceStart);
            }
        }
        proposeToRaft(batch);
    }

    private void proposeToRaft(List<ByteString> batch) {
        try {
            rawNode.propose(batch);
        } catch (ProposalDroppedException e) {
            batch.forEach(data -> proposalDropped(StampQueue.decode(data)));
        }
    }

    /** Tells this replica's caller of a proposal that will not be appended; other members' callers learn it there. */
    private void proposalDropped(Command command) {
        if (command.getProposer() == config.nodeId()) {
            CompletableFuture<ByteString> waiting = pendingProposals.remove(command.getProposalId());
            if (waiting != null) {
                waiting.completeExceptionally(ReplicaException.dropped());
            }
        }
    }

    /**
     * A proposal message from a follower, with the entries that await the leader's stamp
     * stamped (or held, and left out) when this replica leads; as it came otherwise (raft
     * forwards it to the leader or drops it). Configuration changes pass unstamped.
     */
    private Message stampForwarded(Message proposal) {
        BasicStatus status = rawNode.basicStatus();
        if (status.softState().raftState() != StateType.StateLeader) {
            return proposal;
        }
        Message.Builder stamped = proposal.toBuilder().clearEntries();
        for (Entry entry : proposal.getEntriesList()) {
            if (entry.getType() != EntryType.EntryNormal || entry.getData().isEmpty()) {
                stamped.addEntries(entry);
                continue;
            }
            for (ByteString data : stamps.admit(List.of(entry.getData()), status.hardState().getTerm(), ticksSinceStart)) {
                stamped.addEntries(entry.toBuilder().setData(data));
            }
        }
        return stamped.build();
    }

    /** Proposes the held proposals the stamper can stamp now; drops them all once this replica no longer leads. */
    private void releaseHeldProposals() {
        BasicStatus status = rawNode.basicStatus();
        if (status.softState().raftState() != StateType.StateLeader) {
            stamps.dropAll(this::proposalDropped);
            return;
        }
        List<ByteString> released = stamps.release(status.hardState().getTerm(), ticksSinceStart,
                config.electionTicks(), this::proposalDropped);
        if (!released.isEmpty()) {
            proposeToRaft(released);
        }
    }

    /**
     * Proposes a membership change; completes with the new configuration once applied here.
     * The change's {@code id} is replaced by one this replica picks, which is how the applied
     * change finds its caller. On the leader, a change made while an earlier one is not applied
     * yet fails at once (raft would silently put an empty entry in its place, and the caller
     * would wait until its timeout for an outcome it could not know).
     */
    public CompletableFuture<ByteString> proposeConfChange(ConfChange change) {
        CompletableFuture<ByteString> result = new CompletableFuture<>();
        if (knownLeader == 0) {
            result.completeExceptionally(ReplicaException.noLeader());
            return result;
        }
        if (rawNode.refusesConfChange()) {
            result.completeExceptionally(ReplicaException.confChangePending());
            return result;
        }
        // From the proposals' sequence: conf changes wait in the same map under their own keys.
        long changeId = nextProposalId++;
        try {
            rawNode.proposeConfChange(change.toBuilder().setId(changeId).build());
        } catch (ProposalDroppedException e) {
            result.completeExceptionally(ReplicaException.dropped());
            return result;
        }
        pendingProposals.put(confChangeKey(changeId), result);
        return result;
    }

    /** Asks the leader to hand leadership to {@code transferee}. */
    public void transferLeadership(long transferee) {
        rawNode.transferLeader(transferee);
    }

    /**
     * A linearizable read barrier: completes with an index once this replica has applied
     * everything committed when the read was requested. {@code mode} picks a quorum round
     * ({@code ReadOnlySafe}) or the leader's lease ({@code ReadOnlyLeaseBased}).
     */
    public CompletableFuture<Long> readBarrier(ReadOnlyOption mode) {
        PendingRead read = new PendingRead(new CompletableFuture<>(), new long[]{-1});
        if (knownLeader == 0) {
            read.result().completeExceptionally(ReplicaException.noLeader());
            return read.result();
        }
        // Reads asked for between two Readies share one ReadIndex round (see flushReads), as
        // etcd's server batches them: one heartbeat round per batch instead of one per read.
        readBatches.computeIfAbsent(mode, m -> new ArrayList<>()).add(read);
        return read.result();
    }

    /**
     * Starts one ReadIndex round per mode for the reads batched since the last call. The round
     * starts after every read of the batch was asked for, so the index it yields is at least the
     * commit index each of them saw: a linearizable point for all of them.
     */
    private void flushReads() {
        if (readBatches.isEmpty()) {
            return;
        }
        for (Map.Entry<ReadOnlyOption, List<PendingRead>> batch : readBatches.entrySet()) {
            long readId = nextReadId++;
            pendingReads.put(readId, batch.getValue());
            rawNode.readIndex(ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).putLong(0, readId)), batch.getKey());
        }
        readBatches.clear();
    }

    /** Replaces the observer of leader changes and proposals (for metrics); call on the loop thread. */
    public void setEvents(ReplicaEvents events) {
        this.events = events;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    /** The index of the last snapshot saved or installed here (0: none). */
    public long snapshotIndex() {
        return snapshotIndex;
    }

    /** Proposals and configuration changes waiting for their outcome. */
    public int pendingProposals() {
        return pendingProposals.size();
    }

    /**
     * Hashes the applied state at every applied index that is a multiple of {@code entries}
     * (0: never), for comparing members ({@link StateHashes}); call before the replica runs.
     */
    public void hashStateEvery(long entries) {
        stateHashes.setInterval(entries);
    }

    /** The latest state hashes, oldest first. */
    public List<StateHash> stateHashes() {
        return stateHashes.recent();
    }

    public long leaderId() {
        return knownLeader;
    }

    public long term() {
        return term;
    }

    public Status status() {
        return rawNode.status();
    }

    /** Members by id, as of the last applied configuration change. */
    public Map<Long, Member> members() {
        return Map.copyOf(members);
    }

    /** Whether {@link #processReady} has work: batched proposals or reads, or a Ready of the node. */
    public boolean hasReady() {
        return !proposalBatch.isEmpty() || !readBatches.isEmpty() || rawNode.hasReady();
    }

    /** Handles one Ready in the documented order; see the class comment. */
    public void processReady() {
        flushProposals();
        flushReads();
        if (!rawNode.hasReady()) {
            return;
        }
        Ready rd = rawNode.ready();
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        if (!Ready.isEmptyHardState(rd.hardState())) {
            term = rd.hardState().getTerm();
        }
        if (config.asyncStorageWrites()) {
            processAsync(rd);
            return;
        }

        List<Message> afterPersist = new ArrayList<>();
        List<Message> beforePersist = new ArrayList<>();
        for (Message m : rd.messages()) {
            if (promisesDurability(m.getType())) {
                afterPersist.add(m);
            } else {
                beforePersist.add(m);
            }
        }
        // Appends and heartbeats only promise what is durable already (the leader's term and
        // vote were persisted before it could win), so they may overlap with the write.
        if (!rd.entries().isEmpty()) {
            events.appending(rd.entries().getLast().getIndex(), knownLeader == config.nodeId());
        }
        send(beforePersist);

        // Committed entries that this node had already persisted are applied (and their callers
        // answered) before the Ready's own write, as etcd's server does: they are durable on a
        // quorum, so their outcome no longer depends on this write, which is most often only the
        // new commit index. Entries this very Ready persists (a follower may learn an entry and
        // its commit together), or a snapshot, keep the documented order.
        boolean applyFirst = Ready.isEmptySnap(rd.snapshot()) && !rd.committedEntries().isEmpty()
                && (rd.entries().isEmpty()
                    || rd.committedEntries().getLast().getIndex() < rd.entries().getFirst().getIndex());
        if (applyFirst) {
            applyCommitted(rd.committedEntries());
        }

        crashPoints.reach(CrashPoints.Point.BEFORE_PERSIST);
        logStore.persist(rd.hardState(), rd.entries(), rd.snapshot());
        crashPoints.reach(CrashPoints.Point.AFTER_PERSIST);

        send(afterPersist);

        if (!Ready.isEmptySnap(rd.snapshot())) {
            crashPoints.reach(CrashPoints.Point.BEFORE_SNAPSHOT_APPLY);
            restoreFromSnapshot(rd.snapshot());
            crashPoints.reach(CrashPoints.Point.AFTER_SNAPSHOT_APPLY);
        }
        if (!applyFirst && !rd.committedEntries().isEmpty()) {
            applyCommitted(rd.committedEntries());
        }
        for (ReadState rs : rd.readStates()) {
            onReadState(rs);
        }
        releaseReads();
        maybeSnapshot();
        rawNode.advance(rd);
    }

    private void applyCommitted(List<Entry> committed) {
        events.committing(committed.getLast().getIndex());
        crashPoints.reach(CrashPoints.Point.BEFORE_APPLY);
        for (Entry entry : committed) {
            apply(entry);
        }
        crashPoints.reach(CrashPoints.Point.AFTER_APPLY);
        events.applied(appliedIndex);
    }

    /**
     * With async storage writes raft packs the durable work into local messages: what to
     * persist (to the append thread, with the responses to deliver once it is durable) and
     * what to apply (to the apply thread). Everything else may leave at once. Applying happens
     * here on the loop, since the state machine and its readers live on it; persisting is
     * queued for {@link #takeAppendWork} and acknowledged through {@link #appendDurable}.
     */
    private void processAsync(Ready rd) {
        if (!rd.entries().isEmpty()) {
            events.appending(rd.entries().getLast().getIndex(), knownLeader == config.nodeId());
        }
        List<Message> outgoing = new ArrayList<>();
        for (Message m : rd.messages()) {
            if (m.getTo() == RawNode.LOCAL_APPEND_THREAD) {
                appendWork.add(m);
            } else if (m.getTo() == RawNode.LOCAL_APPLY_THREAD) {
                applyAsync(m);
            } else {
                outgoing.add(m);
            }
        }
        send(outgoing);
        for (ReadState rs : rd.readStates()) {
            onReadState(rs);
        }
        releaseReads();
        maybeSnapshot();
    }

    private void applyAsync(Message applyMessage) {
        if (applyMessage.getEntriesCount() > 0) {
            events.committing(applyMessage.getEntries(applyMessage.getEntriesCount() - 1).getIndex());
        }
        crashPoints.reach(CrashPoints.Point.BEFORE_APPLY);
        for (Entry entry : applyMessage.getEntriesList()) {
            apply(entry);
        }
        crashPoints.reach(CrashPoints.Point.AFTER_APPLY);
        events.applied(appliedIndex);
        for (Message response : applyMessage.getResponsesList()) {
            stepOwnResponse(response);
        }
    }

    /**
     * Steps a response of this node's own storage work. Once this node has applied its own
     * removal, the acknowledgements it sends itself for entries appended after that name a
     * member Raft no longer tracks: Raft refuses them ("peer not found", as etcd's callers
     * ignore), and they mean nothing any more. Any other refusal is a bug and stops the loop.
     */
    private void stepOwnResponse(Message response) {
        try {
            rawNode.step(response);
        } catch (StepRefusedException e) {
            if (e != StepRefusedException.PEER_NOT_FOUND || members.containsKey(config.nodeId())) {
                throw e;
            }
            logger.debug("%x dropped its own %s: it is no longer a member", config.nodeId(), response.getType());
        }
    }

    /** Whether persistence work waits (async storage writes only). */
    public boolean hasAppendWork() {
        return !appendWork.isEmpty();
    }

    /** Takes the queued append messages, oldest first; persist them with {@link #persist}. */
    public List<Message> takeAppendWork() {
        List<Message> work = List.copyOf(appendWork);
        appendWork.clear();
        return work;
    }

    /**
     * Makes the writes of append messages durable in one group commit, then sends at once the
     * responses to peers that waited for it (append and vote responses): etcd's async storage
     * writes let the append thread deliver them, and going through the loop first would add a
     * thread hand-off to every replicated write's round trip. Pass the result to
     * {@link #appendDurable} on the loop. Safe to call from the writer thread: it touches only
     * the log store, the crash points and the transport (whose send is thread-safe).
     *
     * <p>A batch that installs a snapshot answers its peers from the loop instead, after the
     * state machine has been restored from it, as before.
     */
    public Durable persist(List<Message> appendMessages) {
        List<LogStore.Write> writes = new ArrayList<>(appendMessages.size());
        boolean installsSnapshot = false;
        for (Message m : appendMessages) {
            HardState hs = m.hasTerm() || m.hasVote() || m.hasCommit()
                    ? HardState.newBuilder().setTerm(m.getTerm()).setVote(m.getVote()).setCommit(m.getCommit()).build()
                    : HardState.getDefaultInstance();
            writes.add(new LogStore.Write(hs, m.getEntriesList(), m.hasSnapshot() ? m.getSnapshot() : Snapshot.getDefaultInstance()));
            installsSnapshot |= m.hasSnapshot() && !Ready.isEmptySnap(m.getSnapshot());
        }
        crashPoints.reach(CrashPoints.Point.BEFORE_PERSIST);
        logStore.persistAll(writes);
        crashPoints.reach(CrashPoints.Point.AFTER_PERSIST);
        if (installsSnapshot) {
            return new Durable(appendMessages, false);
        }
        send(peerResponses(appendMessages));
        return new Durable(appendMessages, true);
    }

    /**
     * Append messages made durable by {@link #persist}; {@code peersAnswered} says whether their
     * responses to peers have been sent already.
     */
    public record Durable(List<Message> appendMessages, boolean peersAnswered) {
    }

    /**
     * After {@link #persist}: installs a persisted snapshot in the state machine and delivers
     * the responses that waited for durability (own acknowledgements to raft; votes and append
     * responses to peers, unless the writer sent those). On the loop thread, in the order the
     * messages were taken.
     */
    public void appendDurable(Durable durable) {
        for (Message m : durable.appendMessages()) {
            if (m.hasSnapshot() && !Ready.isEmptySnap(m.getSnapshot())) {
                crashPoints.reach(CrashPoints.Point.BEFORE_SNAPSHOT_APPLY);
                restoreFromSnapshot(m.getSnapshot());
                crashPoints.reach(CrashPoints.Point.AFTER_SNAPSHOT_APPLY);
            }
            for (Message response : m.getResponsesList()) {
                if (response.getTo() == config.nodeId()) {
                    stepOwnResponse(response);
                }
            }
        }
        if (!durable.peersAnswered()) {
            send(peerResponses(durable.appendMessages()));
        }
    }

    private List<Message> peerResponses(List<Message> appendMessages) {
        List<Message> responses = new ArrayList<>();
        for (Message m : appendMessages) {
            for (Message response : m.getResponsesList()) {
                if (response.getTo() != config.nodeId()) {
                    responses.add(response);
                }
            }
        }
        return responses;
    }

    private void send(List<Message> messages) {
        if (!messages.isEmpty()) {
            events.sending(messages);
            transport.send(messages);
        }
    }

    private static boolean promisesDurability(MessageType type) {
        return type == MessageType.MsgAppResp || type == MessageType.MsgVoteResp || type == MessageType.MsgPreVoteResp;
    }

    private void onSoftState(SoftState softState) {
        long previousLeader = knownLeader;
        knownLeader = softState.lead();
        if (previousLeader != knownLeader) {
            events.leaderChanged(knownLeader);
            // Proposals in flight may still commit under the new leader, or may be lost: their
            // fate is unknown here. Callers retry with their idempotency key.
            failAll(pendingProposals.values(), ReplicaException.leaderChanged());
            pendingProposals.clear();
            proposalBatch.clear();
            batchAwaitsStamp = false;
            stamps.dropAll(this::proposalDropped);
            // Read requests are only answered by the leader that received them.
            failReads(ReplicaException.leaderChanged());
        }
    }

    private void onReadState(ReadState rs) {
        if (rs.requestCtx().size() != Long.BYTES) {
            return;
        }
        long readId = rs.requestCtx().asReadOnlyByteBuffer().getLong();
        List<PendingRead> reads = pendingReads.remove(readId);
        if (reads != null) {
            for (PendingRead read : reads) {
                read.index()[0] = rs.index();
                readsWaitingForApply.add(read);
            }
        }
    }

    private void releaseReads() {
        readsWaitingForApply.removeIf(read -> {
            if (read.index()[0] <= appliedIndex) {
                read.result().complete(appliedIndex);
                return true;
            }
            return false;
        });
    }

    private void apply(Entry entry) {
        switch (entry.getType()) {
            case EntryNormal -> applyCommand(entry);
            case EntryConfChange -> {
                ConfChange change = parseConfChange(entry);
                applyConfChange(entry.getIndex(), ConfChanges.asV2(change), change.getId());
            }
            case EntryConfChangeV2 -> applyConfChange(entry.getIndex(), parseConfChangeV2(entry), 0);
        }
        appliedIndex = entry.getIndex();
        hashStateIfDue();
    }

    /**
     * The hash covers what every member must agree on: the snapshot's content, members and
     * applied requests too. Captured here, hashed on the snapshot builder (one thread, so the
     * hashes come back in index order), recorded back on the loop.
     */
    private void hashStateIfDue() {
        if (stateHashes.claim(appliedIndex)) {
            long index = appliedIndex;
            SnapshotImage image = snapshotImage();
            snapshotBuilder.execute(() -> {
                String sha256 = StateHashes.hash(image);
                snapshotCompletion.execute(() -> stateHashes.record(index, sha256));
            });
        }
    }

    private void applyCommand(Entry entry) {
        if (entry.getData().isEmpty()) {
            // A new leader's empty entry.
            return;
        }
        Command command;
        try {
            command = Command.parseFrom(entry.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable command at index " + entry.getIndex(), e);
        }
        appliedRequests.advanceClock(command.getProposedAtMillis());
        String key = command.getIdempotencyKey();
        AppliedRequests.Lookup earlier = key.isEmpty() ? new AppliedRequests.Lookup.Fresh()
                : appliedRequests.find(key, command.getRequestFingerprint());
        CompletableFuture<ByteString> waiting = command.getProposer() == config.nodeId()
                ? pendingProposals.remove(command.getProposalId()) : null;
        switch (earlier) {
            case AppliedRequests.Lookup.Reused reused -> {
                if (waiting != null) {
                    waiting.completeExceptionally(ReplicaException.idempotencyKeyReused());
                }
            }
            case AppliedRequests.Lookup.Replay replay -> {
                if (waiting != null) {
                    waiting.complete(replay.result());
                }
            }
            case AppliedRequests.Lookup.Fresh fresh -> {
                ByteString result = stateMachine.apply(entry.getIndex(), command.getPayload());
                if (!key.isEmpty()) {
                    appliedRequests.record(key, command.getRequestFingerprint(), entry.getIndex(), result);
                }
                if (waiting != null) {
                    waiting.complete(result);
                }
            }
        }
    }

    private void applyConfChange(long index, ConfChangeV2 change, long changeId) {
        confState = rawNode.applyConfChange(change);
        for (var single : change.getChangesList()) {
            switch (single.getType()) {
                case ConfChangeAddNode, ConfChangeAddLearnerNode, ConfChangeUpdateNode -> {
                    if (!members.containsKey(single.getNodeId())) {
                        memberAddedIndex = index;
                    }
                    Member member = memberFromContext(change.getContext(), single.getNodeId());
                    members.put(single.getNodeId(), member);
                    if (single.getNodeId() != config.nodeId() && !member.getPeerUrl().isEmpty()) {
                        transport.setPeer(single.getNodeId(), member.getPeerUrl());
                    }
                }
                case ConfChangeRemoveNode -> {
                    members.remove(single.getNodeId());
                    if (single.getNodeId() != config.nodeId()) {
                        transport.removePeer(single.getNodeId());
                    }
                }
            }
        }
        CompletableFuture<ByteString> waiting = changeId == 0 ? null : pendingProposals.remove(confChangeKey(changeId));
        if (waiting != null) {
            waiting.complete(confState.toByteString());
        }
    }

    /**
     * Conf change proposals are matched by the id the proposer put into the V1 change; they
     * live in the same map as commands under negative keys so they cannot collide.
     */
    private static long confChangeKey(long changeId) {
        return -changeId - 1;
    }

    private static Member memberFromContext(ByteString context, long nodeId) {
        if (context.isEmpty()) {
            return Member.newBuilder().setId(nodeId).build();
        }
        try {
            return Member.parseFrom(context).toBuilder().setId(nodeId).build();
        } catch (InvalidProtocolBufferException e) {
            return Member.newBuilder().setId(nodeId).build();
        }
    }

    private static ConfChange parseConfChange(Entry entry) {
        try {
            return ConfChange.parseFrom(entry.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable conf change at index " + entry.getIndex(), e);
        }
    }

    private static ConfChangeV2 parseConfChangeV2(Entry entry) {
        try {
            return ConfChangeV2.parseFrom(entry.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable conf change at index " + entry.getIndex(), e);
        }
    }

    /**
     * Where snapshots are written: {@code builder} runs the serialization and the durable save,
     * and the state hashes (off the loop, one task at a time in order), {@code loop} brings the
     * outcome back to the loop thread. Until this is
     * called both run inline, on the loop, which keeps simulations deterministic.
     */
    public void snapshotInBackground(Executor builder, Executor loop) {
        this.snapshotBuilder = builder;
        this.snapshotCompletion = loop;
    }

    /** What a snapshot of this replica holds now, captured without serializing (loop only). */
    private SnapshotImage snapshotImage() {
        return new ReplicaSnapshotImage(config.clusterId(), List.copyOf(members.values()),
                appliedRequests.all(), appliedRequests.clockMillis(), stateMachine.captureSnapshot());
    }

    /**
     * Snapshots the state machine every {@code snapshotEntries} applied entries, then compacts
     * the log. Only the capture runs here on the loop (the state machine's
     * {@link StateMachine#captureSnapshot}, a copy of references, no serialization); the
     * serialization and the save run on the snapshot builder while the loop goes on, one
     * snapshot at a time, and the log is compacted back on the loop once the save is durable
     * (raft reads the snapshot from the store only from then on).
     *
     * <p>Also, at once, after a new member was added when there is a snapshot (so the log may be
     * compacted): that member can only catch up through a snapshot, and Raft refuses one whose
     * configuration does not list it ("not in the ConfState"), which every snapshot taken before
     * the addition is. Without this the new member would wait for the next scheduled snapshot,
     * {@code snapshotEntries} entries later: forever on an idle cluster.
     */
    private void maybeSnapshot() {
        boolean scheduled = appliedIndex - snapshotIndex >= config.snapshotEntries();
        boolean owedToNewMember = snapshotIndex > 0 && memberAddedIndex > snapshotIndex;
        if (snapshotInProgress || !(scheduled || owedToNewMember)) {
            return;
        }
        crashPoints.reach(CrashPoints.Point.BEFORE_SNAPSHOT_SAVE);
        long index = appliedIndex;
        ConfState conf = confState;
        SnapshotImage image = snapshotImage();
        snapshotInProgress = true;
        snapshotBuilder.execute(() -> {
            RuntimeException failure = null;
            try {
                logStore.saveSnapshot(index, conf, image);
            } catch (RuntimeException e) {
                failure = e;
            }
            RuntimeException outcome = failure;
            snapshotCompletion.execute(() -> snapshotSaved(index, image.sizeBytes(), outcome));
        });
    }

    /** On the loop, when a snapshot begun by {@link #maybeSnapshot} was saved or failed. */
    private void snapshotSaved(long index, long sizeBytes, RuntimeException failure) {
        snapshotInProgress = false;
        if (failure instanceof SnapOutOfDateException) {
            // A snapshot from the leader was installed meanwhile; it covers this one.
            return;
        }
        if (failure != null) {
            // As when the save ran on the loop: storage that cannot save stops the replica.
            throw failure;
        }
        if (index <= snapshotIndex) {
            return;
        }
        snapshotIndex = index;
        events.snapshot(snapshotIndex, sizeBytes);
        crashPoints.reach(CrashPoints.Point.BEFORE_COMPACTION);
        // Keep a margin of entries so that a follower slightly behind catches up from the
        // log instead of needing the whole snapshot.
        long compactIndex = index - config.compactionMarginEntries();
        if (compactIndex > logStore.storage().firstIndex()) {
            logStore.compact(compactIndex);
        }
        crashPoints.reach(CrashPoints.Point.AFTER_COMPACTION);
    }

    /**
     * With async storage writes the state machine may apply (and snapshot) entries whose
     * commit index is still on its way to disk in a hard state. A snapshot holds only applied,
     * hence committed, entries, so its index is a commit index the node may record; raft needs
     * the stored commit to be at least the snapshot's index to restart.
     */
    private static void raiseCommitToSnapshot(LogStore logStore, long snapshotIndex) {
        HardState stored = logStore.storage().initialState().hardState();
        HardState hs = stored == null ? HardState.getDefaultInstance() : stored;
        if (hs.getCommit() < snapshotIndex) {
            logStore.persist(hs.toBuilder().setCommit(snapshotIndex).build(), List.of(), Snapshot.getDefaultInstance());
        }
    }

    /**
     * Restores from a persisted snapshot: the store's at start, or one the leader sent. Its data
     * is read through the store, which may keep it out of the Snapshot raft carries.
     */
    private void restoreFromSnapshot(Snapshot snapshot) {
        ReplicaSnapshot data;
        try (java.io.InputStream in = logStore.snapshotData(snapshot)) {
            data = ReplicaSnapshotReader.read(in, stateMachine::restoreSnapshot);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable snapshot at index " + snapshot.getMetadata().getIndex(), e);
        }
        for (long gone : members.keySet()) {
            // The transport admits members only: one the snapshot no longer has must go from it too.
            if (gone != config.nodeId() && data.getMembersList().stream().noneMatch(m -> m.getId() == gone)) {
                transport.removePeer(gone);
            }
        }
        members.clear();
        for (Member m : data.getMembersList()) {
            members.put(m.getId(), m);
            if (m.getId() != config.nodeId() && !m.getPeerUrl().isEmpty()) {
                transport.setPeer(m.getId(), m.getPeerUrl());
            }
        }
        appliedRequests.restore(data.getRequestsClockMillis(), data.getAppliedRequestsList());
        confState = snapshot.getMetadata().getConfState();
        appliedIndex = snapshot.getMetadata().getIndex();
        snapshotIndex = appliedIndex;
        // The data streamed in; its size is the size of what it restored.
        events.snapshot(snapshotIndex, snapshotImage().sizeBytes());
    }

    /** Fails every waiting caller; the replica is being stopped. */
    void failPending(ReplicaException reason) {
        proposalBatch.clear();
        failAll(pendingProposals.values(), reason);
        pendingProposals.clear();
        failReads(reason);
        for (PendingRead read : readsWaitingForApply) {
            read.result().completeExceptionally(reason);
        }
        readsWaitingForApply.clear();
    }

    /** Fails the reads whose ReadIndex round has not answered (or not started). */
    private void failReads(ReplicaException reason) {
        for (List<PendingRead> reads : pendingReads.values()) {
            reads.forEach(read -> read.result().completeExceptionally(reason));
        }
        pendingReads.clear();
        for (List<PendingRead> reads : readBatches.values()) {
            reads.forEach(read -> read.result().completeExceptionally(reason));
        }
        readBatches.clear();
    }

    private static void failAll(Iterable<CompletableFuture<ByteString>> futures, ReplicaException reason) {
        for (CompletableFuture<ByteString> f : futures) {
            f.completeExceptionally(reason);
        }
    }
}
