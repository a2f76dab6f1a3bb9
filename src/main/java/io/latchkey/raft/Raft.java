package io.latchkey.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.confchange.ChangeResult;
import io.latchkey.raft.confchange.ConfChangeException;
import io.latchkey.raft.confchange.Changer;
import io.latchkey.raft.confchange.Restore;
import io.latchkey.raft.quorum.VoteResult;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.ConfStates;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.tracker.Inflights;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.ProgressState;
import io.latchkey.raft.tracker.ProgressTracker;
import io.latchkey.raft.tracker.TrackerConfig;
import io.latchkey.raft.tracker.VoteTally;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The Raft state machine of one node (etcd-io/raft {@code raft.go}). It is driven only by
 * {@link #step} and {@link #tick}; everything it wants done leaves through {@link #msgs},
 * {@link #msgsAfterAppend}, the unstable part of {@link #raftLog} and {@link #readStates},
 * which {@link RawNode} turns into a {@link Ready}. It does no I/O and keeps no clock.
 */
final class Raft {
    /** The id that means "nobody": no leader, no vote. */
    static final long NONE = 0;
    /** Target of MsgStorageAppend when storage writes are asynchronous (Go's MaxUint64). */
    static final long LOCAL_APPEND_THREAD = -1L;
    /** Target of MsgStorageApply when storage writes are asynchronous (Go's MaxUint64 - 1). */
    static final long LOCAL_APPLY_THREAD = -2L;

    private static final ByteString TRANSFER_CONTEXT = ByteString.copyFromUtf8(CampaignType.TRANSFER.wireName());
    /**
     * A MsgReadIndex may carry the read mode its requester chose in its (otherwise unused)
     * context; without one the node's configured mode applies. This goes beyond etcd, which
     * fixes the mode per node.
     */
    static final ByteString SAFE_READ_CONTEXT = ByteString.copyFromUtf8(ReadOnlyOption.ReadOnlySafe.name());
    static final ByteString LEASE_READ_CONTEXT = ByteString.copyFromUtf8(ReadOnlyOption.ReadOnlyLeaseBased.name());

    final long id;
    long term;
    long vote;
    List<ReadState> readStates = new ArrayList<>();
    final RaftLog raftLog;
    final long maxMsgSize;
    final long maxUncommittedSize;
    ProgressTracker trk;
    /** Starts as Go's zero value, which the InitState trace event reports. */
    StateType state = StateType.StateFollower;
    boolean isLearner;
    /** Messages to send now. */
    List<Message> msgs = new ArrayList<>();
    /**
     * Messages that may leave only once the unstable state they depend on (votes, appended
     * entries) is durable: vote and append responses.
     */
    List<Message> msgsAfterAppend = new ArrayList<>();
    long lead = NONE;
    /** The node leadership is being transferred to, or NONE. */
    long leadTransferee;
    /**
     * Whether this leader sent MsgTimeoutNow in its term. Its lease is then void for the rest
     * of the term: the transferee's vote requests bypass the followers' lease promises, and a
     * delayed MsgTimeoutNow can start that election even after the transfer was aborted.
     */
    boolean leaseSurrendered;
    /**
     * Only one conf change may be pending (in the log, not yet applied) at a time; this is the
     * index of the latest one that may be.
     */
    long pendingConfIndex;
    final boolean disableConfChangeValidation;
    /** Payload bytes of the uncommitted tail of the leader's log. */
    long uncommittedSize;
    ReadOnly readOnly;
    /**
     * Ticks since the last election timeout (leader or candidate), or since the last valid
     * message from the current leader (follower).
     */
    int electionElapsed;
    /** Ticks since the last heartbeat; only the leader counts them. */
    int heartbeatElapsed;
    /** Ticks since this instance started; the clock of the leader lease. */
    long tickCount;
    final boolean checkQuorum;
    final boolean preVote;
    /** Ticks before the end of an election timeout at which the leader stops trusting its lease. */
    final int leaseMarginTicks;
    final int heartbeatTimeout;
    final int electionTimeout;
    /** In [electiontimeout, 2 * electiontimeout - 1], reset on every state change. */
    int randomizedElectionTimeout;
    final boolean disableProposalForwarding;
    final boolean stepDownOnRemoval;
    final Logger logger;
    /** ReadIndex requests received before the leader committed an entry of its own term. */
    List<Message> pendingReadIndexMessages = new ArrayList<>();
    private final RandomGenerator random;
    /** Null unless tracing; see {@link StateTrace}. */
    final TraceLogger traceLogger;

    Raft(Config c) {
        c.validate();
        this.id = c.id();
        this.logger = c.logger();
        this.raftLog = RaftLog.newLogWithSize(c.storage(), c.logger(), c.maxCommittedSizePerReady());
        Storage.InitialState initial = c.storage().initialState();
        this.maxMsgSize = c.maxSizePerMsg();
        this.maxUncommittedSize = c.maxUncommittedEntriesSize();
        this.trk = new ProgressTracker(c.maxInflightMsgs(), c.maxInflightBytes());
        this.electionTimeout = c.electionTick();
        this.heartbeatTimeout = c.heartbeatTick();
        this.checkQuorum = c.checkQuorum();
        this.preVote = c.preVote();
        this.leaseMarginTicks = c.leaseMarginTicks();
        this.readOnly = new ReadOnly(c.readOnlyOption());
        this.disableProposalForwarding = c.disableProposalForwarding();
        this.disableConfChangeValidation = c.disableConfChangeValidation();
        this.stepDownOnRemoval = c.stepDownOnRemoval();
        this.random = c.random();
        this.traceLogger = c.traceLogger();

        StateTrace.traceInitState(this);

        EntryId lastId = raftLog.lastEntryID();
        ConfState cs = initial.confState() == null ? ConfState.getDefaultInstance() : initial.confState();
        ChangeResult restored;
        try {
            restored = Restore.restore(new Changer(trk, lastId.index()), cs);
        } catch (ConfChangeException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        assertConfStatesEquivalent(cs, switchToConfig(restored.config(), restored.progress()));

        HardState hs = initial.hardState();
        if (!Ready.isEmptyHardState(hs)) {
            loadState(hs);
        }
        if (c.applied() > 0) {
            raftLog.appliedTo(c.applied(), 0);
        }
        becomeFollower(term, NONE);

        String peers = Arrays.stream(trk.voterNodes()).mapToObj(Long::toHexString).collect(Collectors.joining(","));
        logger.info("newRaft %x [peers: [%s], term: %d, commit: %d, applied: %d, lastindex: %d, lastterm: %d]",
                id, peers, term, raftLog.committed, raftLog.applied, lastId.index(), lastId.term());
    }

    boolean hasLeader() {
        return lead != NONE;
    }

    SoftState softState() {
        return new SoftState(lead, state);
    }

    HardState hardState() {
        return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(raftLog.committed).build();
    }

    /** Queues a message, filling in sender and term; see the field docs for which queue. */
    void send(Message.Builder m) {
        if (m.getFrom() == NONE) {
            m.setFrom(id);
        }
        MessageType type = m.getType();
        if (type == MessageType.MsgVote || type == MessageType.MsgVoteResp
                || type == MessageType.MsgPreVote || type == MessageType.MsgPreVoteResp) {
            // Campaign messages carry the term they are about, which is not always ours.
            if (m.getTerm() == 0) {
                throw logger.panic("term should be set when sending %s", type);
            }
        } else {
            if (m.getTerm() != 0) {
                throw logger.panic("term should not be set when sending %s (was %d)", type, m.getTerm());
            }
            // Proposals and read requests are forwarded to the leader as if they were local,
            // so they carry no term.
            if (type != MessageType.MsgProp && type != MessageType.MsgReadIndex) {
                m.setTerm(term);
            }
        }
        if (type == MessageType.MsgAppResp || type == MessageType.MsgVoteResp || type == MessageType.MsgPreVoteResp) {
            // A vote or an append acknowledgement must not leave before the state it promises
            // (the vote, the entries) is durable (thesis §3.8). Rejections are held back too:
            // they may rest on unstable state and holding them costs little.
            Message built = m.build();
            msgsAfterAppend.add(built);
            StateTrace.traceSendMessage(this, built);
        } else {
            if (m.getTo() == id) {
                throw logger.panic("message should not be self-addressed when sending %s", type);
            }
            Message built = m.build();
            msgs.add(built);
            StateTrace.traceSendMessage(this, built);
        }
    }

    void sendAppend(long to) {
        maybeSendAppend(to, true);
    }

    /**
     * Sends entries (or a snapshot, when the entries are compacted) to {@code to} unless its
     * flow is paused. An empty append is sent only when {@code sendIfEmpty}, to carry the
     * commit index.
     */
    boolean maybeSendAppend(long to, boolean sendIfEmpty) {
        Progress pr = trk.progress().get(to);
        if (pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next() - 1;
        long prevTerm;
        try {
            prevTerm = raftLog.term(prevIndex);
        } catch (StorageException e) {
            // The entry before next is compacted: only a snapshot can catch this follower up.
            return maybeSendSnapshot(to, pr);
        }
        List<Entry> entries = List.of();
        boolean entriesUnavailable = false;
        if (pr.state() != ProgressState.StateReplicate || !pr.inflights().full()) {
            try {
                entries = raftLog.entries(pr.next(), maxMsgSize);
            } catch (StorageException e) {
                entriesUnavailable = true;
            }
        }
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        // etcd's order (its TODO would check the failure first): when nothing has to be
        // sent, a failed read of the entries sends nothing, not even a snapshot.
        if (entriesUnavailable) {
            return maybeSendSnapshot(to, pr);
        }
        send(Message.newBuilder()
                .setTo(to)
                .setType(MessageType.MsgApp)
                .setIndex(prevIndex)
                .setLogTerm(prevTerm)
                .addAllEntries(entries)
                .setCommit(raftLog.committed));
        pr.sentEntries(entries.size(), EntrySizes.payloadsSize(entries));
        pr.setSentCommit(raftLog.committed);
        return true;
    }

    private boolean maybeSendSnapshot(long to, Progress pr) {
        if (!pr.recentActive()) {
            logger.debug("ignore sending snapshot to %x since it is not recently active", to);
            return false;
        }
        Snapshot snapshot;
        try {
            snapshot = raftLog.snapshot();
        } catch (SnapshotTemporarilyUnavailableException e) {
            logger.debug("%x failed to send snapshot to %x because snapshot is temporarily unavailable", id, to);
            return false;
        }
        if (Ready.isEmptySnap(snapshot)) {
            throw new IllegalStateException("need non-empty snapshot");
        }
        long sindex = snapshot.getMetadata().getIndex();
        long sterm = snapshot.getMetadata().getTerm();
        logger.debug("%x [firstindex: %d, commit: %d] sent snapshot[index: %d, term: %d] to %x [%s]",
                id, raftLog.firstIndex(), raftLog.committed, sindex, sterm, to, pr);
        pr.becomeSnapshot(sindex);
        logger.debug("%x paused sending replication messages to %x [%s]", id, to, pr);
        send(Message.newBuilder().setTo(to).setType(MessageType.MsgSnap).setSnapshot(snapshot));
        return true;
    }

    private void sendHeartbeat(long to, ByteString ctx) {
        Progress pr = trk.progress().get(to);
        // A follower may not have the leader's committed entries yet; telling it to commit
        // past its match would make it commit entries it does not have.
        long commit = Math.min(pr.match(), raftLog.committed);
        Message.Builder m = Message.newBuilder().setTo(to).setType(MessageType.MsgHeartbeat).setCommit(commit);
        if (ctx != null) {
            m.setContext(ctx);
        }
        send(m);
        pr.setSentCommit(commit);
    }

    /** Sends append messages to every peer that is not paused. */
    void bcastAppend() {
        trk.visit((peer, pr) -> {
            if (peer != id) {
                sendAppend(peer);
            }
        });
    }

    void bcastHeartbeat() {
        // With check quorum a lease may be used (see ReadOnly), so heartbeats carry the tick.
        bcastHeartbeatWithCtx(checkQuorum ? readOnly.heartbeatCtxWithLease(tickCount) : readOnly.heartbeatCtx());
    }

    /**
     * Whether no other leader can exist now (see the package documentation, "Lease reads"): a
     * quorum acknowledged a heartbeat sent less than an election timeout ago, less the lease
     * margin, and this leader has neither a transfer in progress nor handed leadership away
     * in this term.
     */
    boolean leaseValid() {
        if (leadTransferee != NONE || leaseSurrendered) {
            return false;
        }
        long start = readOnly.leaseStartTick(trk.config().voters(), id, tickCount, committedEntryInCurrentTerm());
        return start >= 0 && tickCount < start + electionTimeout - leaseMarginTicks;
    }

    private void bcastHeartbeatWithCtx(ByteString ctx) {
        trk.visit((peer, pr) -> {
            if (peer != id) {
                sendHeartbeat(peer, ctx);
            }
        });
    }

    void appliedTo(long index, long size) {
        long oldApplied = raftLog.applied;
        long newApplied = Math.max(index, oldApplied);
        raftLog.appliedTo(newApplied, size);

        if (trk.config().autoLeave() && newApplied >= pendingConfIndex && state == StateType.StateLeader) {
            // The joint configuration is applied: propose the empty conf change that leaves it.
            // The proposal may be refused (e.g. during a leadership transfer); it is then
            // retried on the next apply.
            try {
                step(confChangeToMsg(ConfChangeV2.getDefaultInstance()));
                logger.info("initiating automatic transition out of joint configuration %s", trk.config());
            } catch (RaftException e) {
                logger.debug("not initiating automatic transition out of joint configuration %s: %s",
                        trk.config(), e.getMessage());
            }
        }
    }

    void appliedSnap(Snapshot snap) {
        long index = snap.getMetadata().getIndex();
        raftLog.stableSnapTo(index);
        appliedTo(index, 0);
    }

    /** Advances the commit index to what a quorum has acknowledged; true if it moved. */
    boolean maybeCommit() {
        boolean committed = raftLog.maybeCommit(new EntryId(term, trk.committed()));
        // etcd traces every attempt (a deferred call), whether or not the index moved.
        StateTrace.traceCommit(this);
        return committed;
    }

    void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            vote = NONE;
        }
        lead = NONE;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetRandomizedElectionTimeout();
        abortLeaderTransfer();
        leaseSurrendered = false;
        trk.resetVotes();
        long lastIndex = raftLog.lastIndex();
        trk.progress().replaceAll((peer, old) -> {
            Progress pr = new Progress();
            pr.setNext(lastIndex + 1);
            pr.setInflights(new Inflights(trk.maxInflight(), trk.maxInflightBytes()));
            pr.setIsLearner(old.isLearner());
            if (peer == id) {
                pr.setMatch(lastIndex);
            }
            return pr;
        });
        pendingConfIndex = 0;
        uncommittedSize = 0;
        readOnly = new ReadOnly(readOnly.option);
    }

    /**
     * Appends proposals to the leader's own log, stamped with the current term and the next
     * indexes; false if the uncommitted size limit refuses them.
     */
    boolean appendEntry(List<Entry> entries) {
        long li = raftLog.lastIndex();
        List<Entry> stamped = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            stamped.add(entries.get(i).toBuilder().setTerm(term).setIndex(li + 1 + i).build());
        }
        if (!increaseUncommittedSize(stamped)) {
            logger.warning("%x appending new entries to log would exceed uncommitted entry size limit; dropping proposal", id);
            return false;
        }
        StateTrace.traceReplicate(this, stamped);
        li = raftLog.append(stamped);
        // The leader acknowledges its own append like a follower would, once it is durable.
        send(Message.newBuilder().setTo(id).setType(MessageType.MsgAppResp).setIndex(li));
        return true;
    }

    void tick() {
        tickCount++;
        if (state == StateType.StateLeader) {
            tickHeartbeat();
        } else {
            tickElection();
        }
    }

    /** Followers and candidates: campaign once the randomized election timeout has passed. */
    private void tickElection() {
        electionElapsed++;
        if (promotable() && pastElectionTimeout()) {
            electionElapsed = 0;
            try {
                step(Message.newBuilder().setFrom(id).setType(MessageType.MsgHup).build());
            } catch (RaftException e) {
                logger.debug("error occurred during election: %s", e.getMessage());
            }
        }
    }

    /** Leaders: send heartbeats, and check the quorum once per election timeout. */
    private void tickHeartbeat() {
        heartbeatElapsed++;
        electionElapsed++;

        if (electionElapsed >= electionTimeout) {
            electionElapsed = 0;
            if (checkQuorum) {
                try {
                    step(Message.newBuilder().setFrom(id).setType(MessageType.MsgCheckQuorum).build());
                } catch (RaftException e) {
                    logger.debug("error occurred during checking sending heartbeat: %s", e.getMessage());
                }
            }
            // A transfer that did not finish within an election timeout is given up.
            if (state == StateType.StateLeader && leadTransferee != NONE) {
                abortLeaderTransfer();
            }
        }

        if (state != StateType.StateLeader) {
            return;
        }
        if (heartbeatElapsed >= heartbeatTimeout) {
            heartbeatElapsed = 0;
            try {
                step(Message.newBuilder().setFrom(id).setType(MessageType.MsgBeat).build());
            } catch (RaftException e) {
                logger.debug("error occurred during checking sending heartbeat: %s", e.getMessage());
            }
        }
    }

    void becomeFollower(long newTerm, long newLead) {
        reset(newTerm);
        lead = newLead;
        state = StateType.StateFollower;
        logger.info("%x became follower at term %d", id, term);
        StateTrace.traceBecomeFollower(this);
    }

    void becomeCandidate() {
        if (state == StateType.StateLeader) {
            throw new IllegalStateException("invalid transition [leader -> candidate]");
        }
        reset(term + 1);
        vote = id;
        state = StateType.StateCandidate;
        logger.info("%x became candidate at term %d", id, term);
        StateTrace.traceBecomeCandidate(this);
    }

    void becomePreCandidate() {
        if (state == StateType.StateLeader) {
            throw new IllegalStateException("invalid transition [leader -> pre-candidate]");
        }
        // A pre-candidate changes neither term nor vote: it only asks whether it could win.
        trk.resetVotes();
        lead = NONE;
        state = StateType.StatePreCandidate;
        logger.info("%x became pre-candidate at term %d", id, term);
    }

    void becomeLeader() {
        if (state == StateType.StateFollower) {
            throw new IllegalStateException("invalid transition [follower -> leader]");
        }
        reset(term);
        lead = id;
        state = StateType.StateLeader;
        readOnly.leaderSince(tickCount);
        // The leader's own progress is always replicating: it has every entry it appends.
        Progress pr = trk.progress().get(id);
        pr.becomeReplicate();
        pr.setRecentActive(true);

        // Any conf change in the uncommitted tail may still be pending; until the empty entry
        // below commits we cannot tell, so treat everything up to here as pending.
        pendingConfIndex = raftLog.lastIndex();

        StateTrace.traceBecomeLeader(this);
        // An entry of the new term commits everything before it (§5.4.2) and tells the
        // followers who leads.
        if (!appendEntry(List.of(Entry.getDefaultInstance()))) {
            throw logger.panic("empty entry was dropped");
        }
        logger.info("%x became leader at term %d", id, term);
    }

    private void hup(CampaignType t) {
        if (state == StateType.StateLeader) {
            logger.debug("%x ignoring MsgHup because already leader", id);
            return;
        }
        if (!promotable()) {
            logger.warning("%x is unpromotable and can not campaign", id);
            return;
        }
        if (hasUnappliedConfChanges()) {
            logger.warning("%x cannot campaign at term %d since there are still pending configuration changes to apply", id, term);
            return;
        }
        logger.info("%x is starting a new election at term %d", id, term);
        campaign(t);
    }

    /** Whether a committed but unapplied entry changes the configuration. */
    private boolean hasUnappliedConfChanges() {
        if (raftLog.applied >= raftLog.committed) {
            return false;
        }
        long lo = raftLog.applied + 1;
        long hi = raftLog.committed + 1;
        // Scan in pages so that a long unapplied tail is not loaded at once.
        boolean[] found = {false};
        try {
            raftLog.scan(lo, hi, raftLog.maxApplyingEntsSize, entries -> {
                for (Entry e : entries) {
                    if (e.getType() == EntryType.EntryConfChange || e.getType() == EntryType.EntryConfChangeV2) {
                        found[0] = true;
                        return false;
                    }
                }
                return true;
            });
        } catch (StorageException e) {
            throw logger.panic("error scanning unapplied entries [%d, %d): %s", lo, hi, e.getMessage());
        }
        return found[0];
    }

    /** Starts a (pre-)election; callers have checked that this node may campaign. */
    void campaign(CampaignType t) {
        if (!promotable()) {
            // Callers check this; reaching here is a bug, but campaigning is still safe.
            logger.warning("%x is unpromotable; campaign() should have been called", id);
        }
        long voteTerm;
        MessageType voteMsg;
        if (t == CampaignType.PRE_ELECTION) {
            becomePreCandidate();
            voteMsg = MessageType.MsgPreVote;
            // The pre-vote asks for the term it would campaign in, without moving to it.
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteMsg = MessageType.MsgVote;
            voteTerm = term;
        }
        for (long voter : trk.config().voters().ids().slice()) {
            if (voter == id) {
                // Our own vote goes through the same path as the others', after persistence.
                send(Message.newBuilder().setTo(voter).setTerm(voteTerm).setType(Describe.voteRespMsgType(voteMsg)));
                continue;
            }
            EntryId last = raftLog.lastEntryID();
            logger.info("%x [logterm: %d, index: %d] sent %s request to %x at term %d",
                    id, last.term(), last.index(), voteMsg, voter, term);
            Message.Builder m = Message.newBuilder().setTo(voter).setTerm(voteTerm).setType(voteMsg)
                    .setIndex(last.index()).setLogTerm(last.term());
            if (t == CampaignType.TRANSFER) {
                m.setContext(TRANSFER_CONTEXT);
            }
            send(m);
        }
    }

    private VoteTally poll(long from, MessageType type, boolean granted) {
        if (granted) {
            logger.info("%x received %s from %x at term %d", id, type, from, term);
        } else {
            logger.info("%x received %s rejection from %x at term %d", id, type, from, term);
        }
        trk.recordVote(from, granted);
        return trk.tallyVotes();
    }

    /**
     * Feeds a message to the state machine.
     *
     * @throws ProposalDroppedException if a proposal cannot be accepted now
     */
    void step(Message m) {
        StateTrace.traceReceiveMessage(this, m);

        // Term checks first: they are the same for every role.
        if (m.getTerm() == 0) {
            // Local message.
        } else if (m.getTerm() > term) {
            MessageType type = m.getType();
            if (type == MessageType.MsgVote || type == MessageType.MsgPreVote) {
                boolean force = m.getContext().equals(TRANSFER_CONTEXT);
                boolean inLease = checkQuorum && lead != NONE && electionElapsed < electionTimeout;
                if (!force && inLease) {
                    // We heard from a live leader within the election timeout: a vote request
                    // from a node that is merely partitioned must not depose it (thesis §4.2.3).
                    EntryId last = raftLog.lastEntryID();
                    logger.info("%x [logterm: %d, index: %d, vote: %x] ignored %s from %x [logterm: %d, index: %d] at term %d: lease is not expired (remaining ticks: %d)",
                            id, last.term(), last.index(), vote, type, m.getFrom(), m.getLogTerm(), m.getIndex(), term,
                            electionTimeout - electionElapsed);
                    return;
                }
            }
            if (type == MessageType.MsgPreVote) {
                // A pre-vote never changes our term.
            } else if (type == MessageType.MsgPreVoteResp && !m.getReject()) {
                // A granted pre-vote carries the future term; we move to it only when the
                // real election starts.
            } else {
                logger.info("%x [term: %d] received a %s message with higher term from %x [term: %d]",
                        id, term, type, m.getFrom(), m.getTerm());
                if (type == MessageType.MsgApp || type == MessageType.MsgHeartbeat || type == MessageType.MsgSnap) {
                    becomeFollower(m.getTerm(), m.getFrom());
                } else {
                    becomeFollower(m.getTerm(), NONE);
                }
            }
        } else if (m.getTerm() < term) {
            MessageType type = m.getType();
            if ((checkQuorum || preVote) && (type == MessageType.MsgHeartbeat || type == MessageType.MsgApp)) {
                // A stale leader that cannot learn the new term (because we ignore its
                // messages) would never step down; with check quorum or pre-vote this node
                // could not disrupt it either, so answer to let it find out.
                send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgAppResp));
            } else if (type == MessageType.MsgPreVote) {
                // Rejecting keeps a pre-candidate with a stale term from waiting forever.
                EntryId last = raftLog.lastEntryID();
                logger.info("%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, index: %d] at term %d",
                        id, last.term(), last.index(), vote, type, m.getFrom(), m.getLogTerm(), m.getIndex(), term);
                send(Message.newBuilder().setTo(m.getFrom()).setTerm(term).setType(MessageType.MsgPreVoteResp).setReject(true));
            } else if (type == MessageType.MsgStorageAppendResp) {
                // The append was for an older term, but the snapshot it persisted is still ours.
                if (m.getIndex() != 0) {
                    logger.info("%x [term: %d] ignored entry appends from a %s message with lower term [term: %d]",
                            id, term, type, m.getTerm());
                }
                if (m.hasSnapshot()) {
                    appliedSnap(m.getSnapshot());
                }
            } else {
                logger.info("%x [term: %d] ignored a %s message with lower term from %x [term: %d]",
                        id, term, type, m.getFrom(), m.getTerm());
            }
            return;
        }

        switch (m.getType()) {
            case MsgHup -> hup(preVote ? CampaignType.PRE_ELECTION : CampaignType.ELECTION);
            case MsgStorageAppendResp -> {
                if (m.getIndex() != 0) {
                    raftLog.stableTo(new EntryId(m.getLogTerm(), m.getIndex()));
                }
                if (m.hasSnapshot()) {
                    appliedSnap(m.getSnapshot());
                }
            }
            case MsgStorageApplyResp -> {
                if (m.getEntriesCount() > 0) {
                    List<Entry> entries = m.getEntriesList();
                    long index = entries.get(entries.size() - 1).getIndex();
                    appliedTo(index, EntrySizes.entsSize(entries));
                    reduceUncommittedSize(EntrySizes.payloadsSize(entries));
                }
            }
            case MsgVote, MsgPreVote -> stepVoteRequest(m);
            default -> {
                switch (state) {
                    case StateLeader -> stepLeader(m);
                    case StateCandidate, StatePreCandidate -> stepCandidate(m);
                    case StateFollower -> stepFollower(m);
                }
            }
        }
    }

    private void stepVoteRequest(Message m) {
        // We can vote for whoever we already voted for (a repeated request), for anyone if we
        // have neither voted nor seen a leader this term, and pre-vote for a future term.
        boolean canVote = vote == m.getFrom()
                || (vote == NONE && lead == NONE)
                || (m.getType() == MessageType.MsgPreVote && m.getTerm() > term);
        EntryId lastId = raftLog.lastEntryID();
        EntryId candLastId = new EntryId(m.getLogTerm(), m.getIndex());
        if (canVote && raftLog.isUpToDate(candLastId)) {
            // The response carries the request's term: for a pre-vote that is the future term
            // the candidate would campaign in, which we have not moved to.
            logger.info("%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, index: %d] at term %d",
                    id, lastId.term(), lastId.index(), vote, m.getType(), m.getFrom(), candLastId.term(), candLastId.index(), term);
            send(Message.newBuilder().setTo(m.getFrom()).setTerm(m.getTerm()).setType(Describe.voteRespMsgType(m.getType())));
            if (m.getType() == MessageType.MsgVote) {
                // Only a real vote is recorded; granting it also resets our election clock.
                electionElapsed = 0;
                vote = m.getFrom();
            }
        } else {
            logger.info("%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, index: %d] at term %d",
                    id, lastId.term(), lastId.index(), vote, m.getType(), m.getFrom(), candLastId.term(), candLastId.index(), term);
            send(Message.newBuilder().setTo(m.getFrom()).setTerm(term).setType(Describe.voteRespMsgType(m.getType())).setReject(true));
        }
    }

    private void stepLeader(Message m) {
        // Messages that need no progress of the sender.
        switch (m.getType()) {
            case MsgBeat -> {
                bcastHeartbeat();
                return;
            }
            case MsgCheckQuorum -> {
                if (!trk.quorumActive()) {
                    logger.warning("%x stepped down to follower since quorum is not active", id);
                    becomeFollower(term, NONE);
                }
                // Activity is measured per election timeout: start the next window.
                trk.visit((peer, pr) -> {
                    if (peer != id) {
                        pr.setRecentActive(false);
                    }
                });
                return;
            }
            case MsgProp -> {
                stepLeaderProposal(m);
                return;
            }
            case MsgReadIndex -> {
                // A single voter is its own quorum: no heartbeat round is needed.
                if (trk.isSingleton()) {
                    Message.Builder resp = responseToReadIndexReq(m, raftLog.committed);
                    if (resp != null) {
                        send(resp);
                    }
                    return;
                }
                // Until an entry of this term commits, the leader's commit index may be behind
                // the real one (§6.4): postpone the read.
                if (!committedEntryInCurrentTerm()) {
                    pendingReadIndexMessages.add(m);
                    return;
                }
                sendMsgReadIndexResponse(m);
                return;
            }
            case MsgForgetLeader -> {
                return;
            }
            default -> {
            }
        }

        Progress pr = trk.progress().get(m.getFrom());
        if (pr == null) {
            logger.debug("%x no progress available for %x", id, m.getFrom());
            return;
        }
        switch (m.getType()) {
            case MsgAppResp -> stepLeaderAppResp(m, pr);
            case MsgHeartbeatResp -> {
                pr.setRecentActive(true);
                pr.setMsgAppFlowPaused(false);
                // A follower that is behind gets more entries with every heartbeat round, so
                // that a lost append does not stall it until the next proposal.
                if (pr.match() < raftLog.lastIndex() || pr.state() == ProgressState.StateProbe) {
                    sendAppend(m.getFrom());
                }
                // Heartbeats carry a context only while safe reads wait for confirmation.
                if (m.getContext().isEmpty()) {
                    return;
                }
                readOnly.recvAck(m.getFrom(), m.getContext());
                for (ReadOnly.ReadIndexRequest rs : readOnly.maybeAdvance(trk.config().voters())) {
                    Message.Builder resp = responseToReadIndexReq(rs.req(), rs.index());
                    if (resp != null) {
                        send(resp);
                    }
                }
            }
            case MsgSnapStatus -> {
                if (pr.state() != ProgressState.StateSnapshot) {
                    return;
                }
                if (!m.getReject()) {
                    pr.becomeProbe();
                    logger.debug("%x snapshot succeeded, resumed sending replication messages to %x [%s]", id, m.getFrom(), pr);
                } else {
                    // The snapshot is lost: forget it so that probing can pick a new one.
                    pr.setPendingSnapshot(0);
                    pr.becomeProbe();
                    logger.debug("%x snapshot failed, resumed sending replication messages to %x [%s]", id, m.getFrom(), pr);
                }
                // Wait for the follower's next heartbeat response before sending appends: the
                // snapshot may still be in flight.
                pr.setMsgAppFlowPaused(true);
            }
            case MsgUnreachable -> {
                // Optimistic sends to an unreachable peer are likely lost: go back to probing.
                if (pr.state() == ProgressState.StateReplicate) {
                    pr.becomeProbe();
                }
                logger.debug("%x failed to send message to %x because it is unreachable [%s]", id, m.getFrom(), pr);
            }
            case MsgTransferLeader -> stepLeaderTransfer(m, pr);
            default -> {
            }
        }
    }

    private void stepLeaderProposal(Message m) {
        if (m.getEntriesCount() == 0) {
            throw logger.panic("%x stepped empty MsgProp", id);
        }
        if (trk.progress().get(id) == null) {
            // We were removed from the configuration while leading: we cannot replicate.
            throw ProposalDroppedException.INSTANCE;
        }
        if (leadTransferee != NONE) {
            logger.debug("%x [term %d] transfer leadership to %x is in progress; dropping proposal", id, term, leadTransferee);
            throw ProposalDroppedException.INSTANCE;
        }

        List<Entry> entries = m.getEntriesList();
        List<Entry> accepted = null;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            ConfChangeV2 cc = confChangeOf(e);
            if (cc == null) {
                continue;
            }
            boolean alreadyPending = pendingConfIndex > raftLog.applied;
            boolean alreadyJoint = !trk.config().voters().outgoing().isEmpty();
            boolean wantsLeaveJoint = cc.getChangesCount() == 0;

            String failedCheck = null;
            if (alreadyPending) {
                failedCheck = String.format("possible unapplied conf change at index %d (applied to %d)", pendingConfIndex, raftLog.applied);
            } else if (alreadyJoint && !wantsLeaveJoint) {
                failedCheck = "must transition out of joint config first";
            } else if (!alreadyJoint && wantsLeaveJoint) {
                failedCheck = "not in joint state; refusing empty conf change";
            }

            if (failedCheck != null && !disableConfChangeValidation) {
                logger.info("%x ignoring conf change %s at config %s: %s", id, Describe.describeConfChange(cc), trk.config(), failedCheck);
                // Keep the entry's slot so the proposal's indexes stay as the proposer expects.
                if (accepted == null) {
                    accepted = new ArrayList<>(entries);
                }
                accepted.set(i, Entry.newBuilder().setType(EntryType.EntryNormal).build());
            } else {
                pendingConfIndex = raftLog.lastIndex() + i + 1;
                StateTrace.traceChangeConfEvent(cc, this);
            }
        }
        if (!appendEntry(accepted == null ? entries : accepted)) {
            throw ProposalDroppedException.INSTANCE;
        }
        bcastAppend();
    }

    /** The conf change an entry carries, as V2, or null for a normal entry. */
    private static ConfChangeV2 confChangeOf(Entry e) {
        try {
            return switch (e.getType()) {
                case EntryConfChange -> ConfChanges.asV2(ConfChange.parseFrom(e.getData()));
                case EntryConfChangeV2 -> ConfChangeV2.parseFrom(e.getData());
                default -> null;
            };
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("undecodable conf change entry " + e.getIndex(), ex);
        }
    }

    private void stepLeaderAppResp(Message m, Progress pr) {
        // Any response, even a rejection, shows the follower is alive.
        pr.setRecentActive(true);

        if (m.getReject()) {
            // The follower's log diverges at or before m.index. Its hint (the last index it
            // has with term <= m.logTerm) lets us skip whole terms of mismatching entries
            // instead of probing one index at a time.
            logger.debug("%x received MsgAppResp(rejected, hint: (index %d, term %d)) from %x for index %d",
                    id, m.getRejectHint(), m.getLogTerm(), m.getFrom(), m.getIndex());
            long nextProbeIdx = m.getRejectHint();
            if (m.getLogTerm() > 0) {
                nextProbeIdx = raftLog.findConflictByTerm(m.getRejectHint(), m.getLogTerm()).index();
            }
            if (pr.maybeDecrTo(m.getIndex(), nextProbeIdx)) {
                logger.debug("%x decreased progress of %x to [%s]", id, m.getFrom(), pr);
                if (pr.state() == ProgressState.StateReplicate) {
                    pr.becomeProbe();
                }
                sendAppend(m.getFrom());
            }
            return;
        }

        // A probe that already matches (e.g. after a snapshot) still moves to replicate.
        if (pr.maybeUpdate(m.getIndex()) || (pr.match() == m.getIndex() && pr.state() == ProgressState.StateProbe)) {
            switch (pr.state()) {
                case StateProbe -> pr.becomeReplicate();
                case StateSnapshot -> {
                    // The follower caught up past our first index (e.g. through an append that
                    // raced the snapshot): it no longer needs the snapshot.
                    if (pr.match() + 1 >= raftLog.firstIndex()) {
                        logger.debug("%x recovered from needing snapshot, resumed sending replication messages to %x [%s]",
                                id, m.getFrom(), pr);
                        pr.becomeProbe();
                        pr.becomeReplicate();
                    }
                }
                case StateReplicate -> pr.inflights().freeLE(m.getIndex());
            }

            if (maybeCommit()) {
                // A commit in the current term may release reads that waited for it.
                releasePendingReadIndexMessages();
                bcastAppend();
            } else if (id != m.getFrom() && pr.canBumpCommit(raftLog.committed)) {
                // The follower does not know the latest commit index yet: tell it, even with
                // no new entries, or it may wait for the next heartbeat.
                sendAppend(m.getFrom());
            }
            // Room freed in the inflight window: keep the pipeline full.
            if (id != m.getFrom()) {
                while (maybeSendAppend(m.getFrom(), false)) {
                    // Keep sending until the flow is paused or nothing is left.
                }
            }
            // The transfer target has caught up: let it campaign now.
            if (m.getFrom() == leadTransferee && pr.match() == raftLog.lastIndex()) {
                logger.info("%x sent MsgTimeoutNow to %x after received MsgAppResp", id, m.getFrom());
                sendTimeoutNow(m.getFrom());
            }
        }
    }

    private void stepLeaderTransfer(Message m, Progress pr) {
        if (pr.isLearner()) {
            logger.debug("%x is learner. Ignored transferring leadership", id);
            return;
        }
        long transferee = m.getFrom();
        long lastLeadTransferee = leadTransferee;
        if (lastLeadTransferee != NONE) {
            if (lastLeadTransferee == transferee) {
                logger.info("%x [term %d] transfer leadership to %x is in progress, ignores request to same node %x",
                        id, term, transferee, transferee);
                return;
            }
            abortLeaderTransfer();
            logger.info("%x [term %d] abort previous transferring leadership to %x", id, term, lastLeadTransferee);
        }
        if (transferee == id) {
            logger.debug("%x is already leader. Ignored transferring leadership to self", id);
            return;
        }
        logger.info("%x [term %d] starts to transfer leadership to %x", id, term, transferee);
        // The transfer must finish within one election timeout; start counting now.
        electionElapsed = 0;
        leadTransferee = transferee;
        if (pr.match() == raftLog.lastIndex()) {
            sendTimeoutNow(transferee);
            logger.info("%x sends MsgTimeoutNow to %x immediately as %x already has up-to-date log", id, transferee, transferee);
        } else {
            sendAppend(transferee);
        }
    }

    private void stepCandidate(Message m) {
        // A pre-candidate counts pre-votes only; stale vote responses from an earlier real
        // election must not count, and the other way round.
        MessageType myVoteRespType = state == StateType.StatePreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
        MessageType type = m.getType();
        if (type == MessageType.MsgProp) {
            logger.info("%x no leader at term %d; dropping proposal", id, term);
            throw ProposalDroppedException.INSTANCE;
        } else if (type == MessageType.MsgApp) {
            // Only a leader of our term sends these (a higher term made us a follower already).
            becomeFollower(m.getTerm(), m.getFrom());
            handleAppendEntries(m);
        } else if (type == MessageType.MsgHeartbeat) {
            becomeFollower(m.getTerm(), m.getFrom());
            handleHeartbeat(m);
        } else if (type == MessageType.MsgSnap) {
            becomeFollower(m.getTerm(), m.getFrom());
            handleSnapshot(m);
        } else if (type == myVoteRespType) {
            VoteTally tally = poll(m.getFrom(), type, !m.getReject());
            logger.info("%x has received %d %s votes and %d vote rejections", id, tally.granted(), type, tally.rejected());
            if (tally.result() == VoteResult.VoteWon) {
                if (state == StateType.StatePreCandidate) {
                    campaign(CampaignType.ELECTION);
                } else {
                    becomeLeader();
                    bcastAppend();
                }
            } else if (tally.result() == VoteResult.VoteLost) {
                // A rejected pre-vote or vote returns us to follower in the same term: the
                // winner, if any, will tell us.
                becomeFollower(term, NONE);
            }
        } else if (type == MessageType.MsgTimeoutNow) {
            logger.debug("%x [term %d state %s] ignored MsgTimeoutNow from %x", id, term, state, m.getFrom());
        }
    }

    private void stepFollower(Message m) {
        switch (m.getType()) {
            case MsgProp -> {
                if (lead == NONE) {
                    logger.info("%x no leader at term %d; dropping proposal", id, term);
                    throw ProposalDroppedException.INSTANCE;
                } else if (disableProposalForwarding) {
                    logger.info("%x not forwarding to leader %x at term %d; dropping proposal", id, lead, term);
                    throw ProposalDroppedException.INSTANCE;
                }
                send(m.toBuilder().setTo(lead));
            }
            case MsgApp -> {
                electionElapsed = 0;
                lead = m.getFrom();
                handleAppendEntries(m);
            }
            case MsgHeartbeat -> {
                electionElapsed = 0;
                lead = m.getFrom();
                handleHeartbeat(m);
            }
            case MsgSnap -> {
                electionElapsed = 0;
                lead = m.getFrom();
                handleSnapshot(m);
            }
            case MsgTransferLeader -> {
                if (lead == NONE) {
                    logger.info("%x no leader at term %d; dropping leader transfer msg", id, term);
                    return;
                }
                send(m.toBuilder().setTo(lead));
            }
            case MsgForgetLeader -> {
                // With lease-based reads the old leader may still serve reads under its lease:
                // forgetting it early would let us vote for another leader inside that lease.
                if (readOnly.option == ReadOnlyOption.ReadOnlyLeaseBased) {
                    logger.error("ignoring MsgForgetLeader due to ReadOnlyLeaseBased");
                    return;
                }
                // Beyond etcd: with CheckQuorum any leader serves lease reads a request asks
                // for, whatever the configured option, so the promise must be kept here too.
                if (checkQuorum) {
                    logger.error("ignoring MsgForgetLeader due to CheckQuorum (the leader may serve lease reads)");
                    return;
                }
                if (lead != NONE) {
                    logger.info("%x forgetting leader %x at term %d", id, lead, term);
                    lead = NONE;
                }
            }
            case MsgTimeoutNow -> {
                logger.info("%x [term %d] received MsgTimeoutNow from %x and starts an election to get leadership.", id, term, m.getFrom());
                // A transfer skips pre-vote: the leader asked us to take over, so there is no
                // partitioned-node disruption to guard against.
                hup(CampaignType.TRANSFER);
            }
            case MsgReadIndex -> {
                if (lead == NONE) {
                    logger.info("%x no leader at term %d; dropping index reading msg", id, term);
                    return;
                }
                send(m.toBuilder().setTo(lead));
            }
            case MsgReadIndexResp -> {
                if (m.getEntriesCount() != 1) {
                    logger.error("%x invalid format of MsgReadIndexResp from %x, entries count: %d", id, m.getFrom(), m.getEntriesCount());
                    return;
                }
                readStates.add(new ReadState(m.getIndex(), m.getEntries(0).getData()));
            }
            default -> {
            }
        }
    }

    private void handleAppendEntries(Message m) {
        LogSlice a = new LogSlice(m.getTerm(), new EntryId(m.getLogTerm(), m.getIndex()), m.getEntriesList());
        if (a.prev().index() < raftLog.committed) {
            // Everything up to our commit index is already settled; tell the leader where we are.
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgAppResp).setIndex(raftLog.committed));
            return;
        }
        if (raftLog.maybeAppend(a, m.getCommit())) {
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgAppResp).setIndex(a.lastIndex()));
            return;
        }
        logger.debug("%x [logterm: %d, index: %d] rejected MsgApp [logterm: %d, index: %d] from %x",
                id, raftLog.zeroTermOnOutOfBounds(m.getIndex()), m.getIndex(), m.getLogTerm(), m.getIndex(), m.getFrom());

        // Hint at the last index where our log could match the leader's: the largest index
        // at or below the probe with a term at or below the leader's term there. The leader
        // can then skip over our divergent tail in one step instead of one index per round
        // trip.
        long hintIndex = Math.min(m.getIndex(), raftLog.lastIndex());
        EntryId hint = raftLog.findConflictByTerm(hintIndex, m.getLogTerm());
        send(Message.newBuilder()
                .setTo(m.getFrom())
                .setType(MessageType.MsgAppResp)
                .setIndex(m.getIndex())
                .setReject(true)
                .setRejectHint(hint.index())
                .setLogTerm(hint.term()));
    }

    private void handleHeartbeat(Message m) {
        raftLog.commitTo(m.getCommit());
        Message.Builder resp = Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgHeartbeatResp);
        if (m.hasContext()) {
            resp.setContext(m.getContext());
        }
        send(resp);
    }

    private void handleSnapshot(Message m) {
        Snapshot s = m.getSnapshot();
        long sindex = s.getMetadata().getIndex();
        long sterm = s.getMetadata().getTerm();
        if (restore(s)) {
            logger.info("%x [commit: %d] restored snapshot [index: %d, term: %d]", id, raftLog.committed, sindex, sterm);
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgAppResp).setIndex(raftLog.lastIndex()));
        } else {
            logger.info("%x [commit: %d] ignored snapshot [index: %d, term: %d]", id, raftLog.committed, sindex, sterm);
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MsgAppResp).setIndex(raftLog.committed));
        }
    }

    /**
     * Replaces the log with a snapshot, unless the log already has everything it covers;
     * true if the snapshot was taken.
     */
    boolean restore(Snapshot s) {
        if (s.getMetadata().getIndex() <= raftLog.committed) {
            return false;
        }
        if (state != StateType.StateFollower) {
            // Only a leader of our term could have sent this, and that would be us: something is
            // badly wrong. Step down with a new term so that the cluster recovers.
            logger.warning("%x attempted to restore snapshot as leader; should never happen", id);
            becomeFollower(term + 1, NONE);
            return false;
        }

        // A snapshot whose configuration does not contain us would leave us unable to take
        // part; it can only come from a confused sender, so ignore it.
        ConfState cs = s.getMetadata().getConfState();
        boolean found = cs.getVotersList().contains(id) || cs.getLearnersList().contains(id)
                || cs.getVotersOutgoingList().contains(id);
        if (!found) {
            logger.warning("%x attempted to restore snapshot but it is not in the ConfState %s; should never happen",
                    id, Describe.describeConfState(cs));
            return false;
        }

        // If our log already has the snapshot's last entry, the snapshot adds nothing but the
        // commit index.
        EntryId snapId = new EntryId(s.getMetadata().getTerm(), s.getMetadata().getIndex());
        if (raftLog.matchTerm(snapId)) {
            EntryId last = raftLog.lastEntryID();
            logger.info("%x [commit: %d, lastindex: %d, lastterm: %d] fast-forwarded commit to snapshot [index: %d, term: %d]",
                    id, raftLog.committed, last.index(), last.term(), snapId.index(), snapId.term());
            raftLog.commitTo(s.getMetadata().getIndex());
            return false;
        }

        raftLog.restore(s);

        // The configuration comes from the snapshot, built on a fresh tracker.
        trk = new ProgressTracker(trk.maxInflight(), trk.maxInflightBytes());
        ChangeResult restored;
        try {
            restored = Restore.restore(new Changer(trk, raftLog.lastIndex()), cs);
        } catch (ConfChangeException e) {
            throw new IllegalStateException("unable to restore config " + Describe.describeConfState(cs) + ": " + e.getMessage(), e);
        }
        assertConfStatesEquivalent(cs, switchToConfig(restored.config(), restored.progress()));

        EntryId last = raftLog.lastEntryID();
        logger.info("%x [commit: %d, lastindex: %d, lastterm: %d] restored snapshot [index: %d, term: %d]",
                id, raftLog.committed, last.index(), last.term(), snapId.index(), snapId.term());
        return true;
    }

    /** Whether this node may become leader: a voter, not waiting for a snapshot. */
    boolean promotable() {
        Progress pr = trk.progress().get(id);
        return pr != null && !pr.isLearner() && !raftLog.hasNextOrInProgressSnapshot();
    }

    ConfState applyConfChange(ConfChangeV2 cc) {
        Changer changer = new Changer(trk, raftLog.lastIndex());
        ChangeResult result;
        try {
            if (ConfChanges.leaveJoint(cc)) {
                result = changer.leaveJoint();
            } else if (ConfChanges.enterJoint(cc)) {
                result = changer.enterJoint(ConfChanges.autoLeave(cc), cc.getChangesList());
            } else {
                result = changer.simple(cc.getChangesList());
            }
        } catch (ConfChangeException e) {
            // The change was validated when proposed; failing now means the log and the
            // configuration disagree, which nothing can repair.
            throw new IllegalStateException(e.getMessage(), e);
        }
        return switchToConfig(result.config(), result.progress());
    }

    /**
     * Makes a configuration current and reacts to it: a leader that lost its seat may step
     * down, and a smaller quorum may commit at once.
     */
    ConfState switchToConfig(TrackerConfig cfg, io.latchkey.raft.tracker.ProgressMap progress) {
        StateTrace.traceConfChangeEvent(cfg, this);

        trk.setConfig(cfg);
        trk.setProgress(progress);

        logger.info("%x switched to configuration %s", id, trk.config());
        ConfState cs = trk.confState();
        Progress pr = trk.progress().get(id);

        isLearner = pr != null && pr.isLearner();

        if ((pr == null || isLearner) && state == StateType.StateLeader) {
            // A removed or demoted leader keeps leading until the change commits elsewhere,
            // unless told to step down: it still has to replicate the change itself.
            if (stepDownOnRemoval) {
                becomeFollower(term, NONE);
            }
            return cs;
        }

        // Only a leader with voters has commit work to redo.
        if (state != StateType.StateLeader || cs.getVotersCount() == 0) {
            return cs;
        }

        if (maybeCommit()) {
            // Removing a voter can make a quorum of what was already acknowledged.
            bcastAppend();
        } else {
            // New peers need their first append; nothing else changed.
            trk.visit((peer, p) -> {
                if (peer != id) {
                    maybeSendAppend(peer, false);
                }
            });
        }
        // A transfer to a node that is no longer a voter cannot finish.
        if (leadTransferee != 0 && !trk.config().voters().ids().contains(leadTransferee)) {
            abortLeaderTransfer();
        }
        return cs;
    }

    void loadState(HardState hs) {
        if (hs.getCommit() < raftLog.committed || hs.getCommit() > raftLog.lastIndex()) {
            throw logger.panic("%x state.commit %d is out of range [%d, %d]", id, hs.getCommit(), raftLog.committed, raftLog.lastIndex());
        }
        raftLog.committed = hs.getCommit();
        term = hs.getTerm();
        vote = hs.getVote();
    }

    /**
     * Whether the randomized election timeout has passed; the randomness keeps followers from
     * campaigning at the same time and splitting the vote.
     */
    boolean pastElectionTimeout() {
        return electionElapsed >= randomizedElectionTimeout;
    }

    void resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = electionTimeout + random.nextInt(electionTimeout);
    }

    private void sendTimeoutNow(long to) {
        leaseSurrendered = true;
        send(Message.newBuilder().setTo(to).setType(MessageType.MsgTimeoutNow));
    }

    void abortLeaderTransfer() {
        if (leadTransferee != NONE) {
            // Acks gathered before or during the transfer do not renew the lease afterwards.
            readOnly.forgetLeaseAcks(tickCount);
        }
        leadTransferee = NONE;
    }

    /** Whether the commit index points at an entry of the current term (§6.4 for ReadIndex). */
    boolean committedEntryInCurrentTerm() {
        return raftLog.zeroTermOnOutOfBounds(raftLog.committed) == term;
    }

    /**
     * Answers a ReadIndex request: locally as a ReadState when it is ours, else as a message
     * to the follower that forwarded it (returned, not sent; null when answered locally).
     */
    private Message.Builder responseToReadIndexReq(Message req, long readIndex) {
        if (req.getFrom() == NONE || req.getFrom() == id) {
            readStates.add(new ReadState(readIndex, req.getEntries(0).getData()));
            return null;
        }
        return Message.newBuilder()
                .setType(MessageType.MsgReadIndexResp)
                .setTo(req.getFrom())
                .setIndex(readIndex)
                .addAllEntries(req.getEntriesList());
    }

    /**
     * Accounts new uncommitted payload; false when it would exceed the limit. An empty log
     * tail always accepts one proposal, however large, so that progress is always possible.
     */
    boolean increaseUncommittedSize(List<Entry> entries) {
        long s = EntrySizes.payloadsSize(entries);
        if (uncommittedSize > 0 && s > 0 && uncommittedSize + s > maxUncommittedSize) {
            return false;
        }
        uncommittedSize += s;
        return true;
    }

    /**
     * Releases payload bytes once their entries are applied. The count is approximate (it
     * resets on term change), so it never goes below zero.
     */
    void reduceUncommittedSize(long s) {
        uncommittedSize = s > uncommittedSize ? 0 : uncommittedSize - s;
    }

    private void releasePendingReadIndexMessages() {
        if (pendingReadIndexMessages.isEmpty()) {
            return;
        }
        if (!committedEntryInCurrentTerm()) {
            logger.error("pending MsgReadIndex should be released only after first commit in current term");
            return;
        }
        List<Message> pending = pendingReadIndexMessages;
        pendingReadIndexMessages = new ArrayList<>();
        for (Message m : pending) {
            sendMsgReadIndexResponse(m);
        }
    }

    /**
     * The mode a read request asked for, or the configured one. A lease read needs check
     * quorum (a leader that lost its quorum must step down before its lease runs out); without
     * it the safe mode is used.
     */
    private ReadOnlyOption readMode(Message m) {
        if (m.getContext().equals(LEASE_READ_CONTEXT)) {
            return checkQuorum ? ReadOnlyOption.ReadOnlyLeaseBased : ReadOnlyOption.ReadOnlySafe;
        }
        if (m.getContext().equals(SAFE_READ_CONTEXT)) {
            return ReadOnlyOption.ReadOnlySafe;
        }
        return readOnly.option;
    }

    private void sendMsgReadIndexResponse(Message m) {
        switch (readMode(m)) {
            case ReadOnlySafe -> {
                // Confirm leadership with a heartbeat round before answering (§6.4).
                readOnly.addRequest(raftLog.committed, m);
                // Our own ack counts towards the quorum.
                readOnly.recvAck(id, readOnly.heartbeatCtx());
                bcastHeartbeat();
            }
            case ReadOnlyLeaseBased -> {
                if (!leaseValid()) {
                    // The lease may have run out: confirm leadership the safe way instead.
                    readOnly.addRequest(raftLog.committed, m);
                    readOnly.recvAck(id, readOnly.heartbeatCtx());
                    bcastHeartbeat();
                    return;
                }
                Message.Builder resp = responseToReadIndexReq(m, raftLog.committed);
                if (resp != null) {
                    send(resp);
                }
            }
        }
    }

    /** A proposal of a (version 1) conf change. */
    static Message confChangeToMsg(ConfChange cc) {
        return proposal(EntryType.EntryConfChange, cc.toByteString());
    }

    /** A proposal of a conf change; the empty one leaves a joint configuration. */
    static Message confChangeToMsg(ConfChangeV2 cc) {
        return proposal(EntryType.EntryConfChangeV2, cc.toByteString());
    }

    private static Message proposal(EntryType type, ByteString data) {
        return Message.newBuilder().setType(MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(type).setData(data)).build();
    }

    private void assertConfStatesEquivalent(ConfState expected, ConfState actual) {
        try {
            ConfStates.equivalent(expected, actual);
        } catch (IllegalStateException e) {
            throw logger.panic("%s", e.getMessage());
        }
    }
}
