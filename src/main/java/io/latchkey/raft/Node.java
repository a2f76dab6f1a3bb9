package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.tracker.TrackerConfig;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A thread-safe Raft node with its own run loop (etcd-io/raft {@code node.go}). Any thread may
 * tick it, step messages into it and propose; one application thread takes each
 * {@link Ready} with {@link #ready}, handles it, and calls {@link #advance}.
 *
 * <p>The loop owns a {@link RawNode}; callers hand it work through a mailbox. Proposals wait
 * in the mailbox while no leader is known, as in etcd, so that a caller's timeout (not a
 * dropped proposal) tells it the cluster is unavailable.
 */
public final class Node implements AutoCloseable {
    /** Ticks that may queue up before the application loop falls behind and ticks are dropped. */
    private static final int PENDING_TICKS_MAX = 128;
    /** The loop never blocks on the application, so it answers hand-overs within this or is broken. */
    private static final Duration LOOP_ANSWER_TIMEOUT = Duration.ofMinutes(1);
    /** What a stopped node reports: Go's zero {@code Status}. */
    private static final Status EMPTY_STATUS = new Status(
            new BasicStatus(Raft.NONE, HardState.getDefaultInstance(), new SoftState(Raft.NONE, StateType.StateFollower), 0, Raft.NONE),
            new TrackerConfig(), Map.of());

    private final RawNode rawNode;
    private final Raft raft;
    private final boolean asyncStorageWrites;
    private final Thread loop;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    private final Condition readyChanged = lock.newCondition();

    // All below guarded by lock.
    private final ArrayDeque<Work> mailbox = new ArrayDeque<>();
    private final ArrayDeque<Proposal> proposals = new ArrayDeque<>();
    private int pendingTicks;
    /** Whether the loop last saw a Ready the application may take. */
    private boolean readyAvailable;
    private boolean stopped;

    /** Confined to the loop thread: a Ready was handed out and not yet advanced. */
    private boolean awaitingAdvance;

    /** A proposal; {@code result} completes when raft took it ({@code waitForResult}) or when the loop did. */
    private record Proposal(Message message, boolean waitForResult, CompletableFuture<Void> result) {
    }

    /** Work for the loop; {@code result} is failed if the node stops before running it. */
    private record Work(Runnable run, CompletableFuture<?> result) {
    }

    private Node(RawNode rawNode, boolean asyncStorageWrites, String name) {
        this.rawNode = rawNode;
        this.raft = rawNode.raft();
        this.asyncStorageWrites = asyncStorageWrites;
        this.loop = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    /**
     * Starts a node of a new cluster whose initial members are {@code peers} (this node among
     * them). The storage must be empty.
     */
    public static Node start(Config config, List<Peer> peers) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("no peers given; use RestartNode instead");
        }
        RawNode rn = new RawNode(config);
        rn.bootstrap(peers);
        return launch(rn, config);
    }

    /** Restarts a node from its storage; membership comes from the storage. */
    public static Node restart(Config config) {
        return launch(new RawNode(config), config);
    }

    private static Node launch(RawNode rn, Config config) {
        Node node = new Node(rn, config.asyncStorageWrites(), "raft-node-" + Long.toHexString(config.id()));
        node.loop.start();
        return node;
    }

    /** Advances the logical clock; dropped with a warning if the loop is far behind. */
    public void tick() {
        lock.lock();
        try {
            if (pendingTicks >= PENDING_TICKS_MAX) {
                raft.logger.warning("%x A tick missed to fire. Node blocks too long!", raft.id);
                return;
            }
            pendingTicks++;
            workArrived.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Makes this node campaign. */
    public void campaign(Duration timeout) throws TimeoutException {
        call(() -> {
            rawNode.campaign();
            return null;
        }, timeout);
    }

    /**
     * Proposes data, returning once the leader path has taken or refused it (not once it
     * commits: watch the committed entries for that).
     *
     * @throws ProposalDroppedException if it was refused
     * @throws TimeoutException if no leader took it in time
     */
    public void propose(ByteString data, Duration timeout) throws TimeoutException {
        stepProposal(Message.newBuilder().setType(MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setData(data)).build(), true, timeout);
    }

    /**
     * Proposes a conf change, returning once the loop took it (a leader is known), not once
     * raft accepted it: as in etcd, a refusal is not reported; watch the committed entries.
     *
     * @throws TimeoutException if no leader was known in time
     */
    public void proposeConfChange(ConfChange cc, Duration timeout) throws TimeoutException {
        stepProposal(Raft.confChangeToMsg(cc), false, timeout);
    }

    /** Like {@link #proposeConfChange(ConfChange, Duration)}. */
    public void proposeConfChange(ConfChangeV2 cc, Duration timeout) throws TimeoutException {
        stepProposal(Raft.confChangeToMsg(cc), false, timeout);
    }

    /**
     * Steps a message received from a peer, returning once the loop has it (as etcd's
     * {@code Step}): a proposal once a leader is known, anything else at once. Local message
     * types from outside are ignored, as are responses from non-members.
     *
     * @throws TimeoutException if a proposal found no leader in time
     */
    public void step(Message m, Duration timeout) throws TimeoutException {
        if (Describe.isLocalMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())) {
            return;
        }
        if (m.getType() == MessageType.MsgProp) {
            stepProposal(m, false, timeout);
            return;
        }
        submit(() -> {
            if (Describe.isResponseMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())
                    && raft.trk.progress().get(m.getFrom()) == null) {
                return;
            }
            stepIgnoringRefusal(m);
        });
    }

    /**
     * Takes the next Ready, waiting up to {@code timeout}; null if none came. Handle it and
     * call {@link #advance} before the next one is produced. The Ready is put together when
     * it is taken, so it holds everything that happened until then.
     *
     * @throws NodeStoppedException if the node is stopped
     */
    public Ready ready(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            lock.lock();
            try {
                while (!readyAvailable) {
                    if (stopped) {
                        throw NodeStoppedException.INSTANCE;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return null;
                    }
                    readyChanged.awaitNanos(remaining);
                }
                readyAvailable = false;
            } finally {
                lock.unlock();
            }
            Ready rd;
            try {
                // Once asked, the loop hands the Ready over promptly; giving up on the answer
                // would lose a Ready the node already counts as handed out.
                rd = call(this::takeReady, LOOP_ANSWER_TIMEOUT);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the node loop did not hand over a Ready", e);
            }
            if (rd != null) {
                return rd;
            }
        }
    }

    /** On the loop: the Ready, if one is due and the previous one was advanced. */
    private Ready takeReady() {
        if (awaitingAdvance || !rawNode.hasReady()) {
            return null;
        }
        awaitingAdvance = !asyncStorageWrites;
        return rawNode.ready();
    }

    /**
     * Tells the node the last Ready is handled (not used with async storage writes). Returns
     * once the node has taken note, so that whatever the caller does next comes after it.
     */
    public void advance() {
        try {
            call(() -> {
                if (awaitingAdvance) {
                    awaitingAdvance = false;
                    rawNode.advance(null);
                }
                return null;
            }, LOOP_ANSWER_TIMEOUT);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the node loop did not take the advance", e);
        }
    }

    /** Applies a committed conf change and returns the resulting configuration. */
    public ConfState applyConfChange(ConfChange cc, Duration timeout) throws TimeoutException {
        return applyConfChange(ConfChanges.asV2(cc), timeout);
    }

    public ConfState applyConfChange(ConfChangeV2 cc, Duration timeout) throws TimeoutException {
        return call(() -> raft.applyConfChange(cc), timeout);
    }

    /** Asks the leader {@code lead} to hand leadership to {@code transferee}. */
    public void transferLeadership(long lead, long transferee, Duration timeout) throws TimeoutException {
        call(() -> {
            stepIgnoringRefusal(Message.newBuilder().setType(MessageType.MsgTransferLeader)
                    .setFrom(transferee).setTo(lead).build());
            return null;
        }, timeout);
    }

    public void forgetLeader(Duration timeout) throws TimeoutException {
        call(() -> {
            rawNode.forgetLeader();
            return null;
        }, timeout);
    }

    /** Requests a read index; the answer comes as a {@link ReadState} in a later Ready. */
    public void readIndex(ByteString rctx, Duration timeout) throws TimeoutException {
        call(() -> {
            rawNode.readIndex(rctx);
            return null;
        }, timeout);
    }

    /** Requests a read index with the read mode chosen for this request; see {@link RawNode#readIndex(ByteString, ReadOnlyOption)}. */
    public void readIndex(ByteString rctx, ReadOnlyOption mode, Duration timeout) throws TimeoutException {
        call(() -> {
            rawNode.readIndex(rctx, mode);
            return null;
        }, timeout);
    }

    /** The node's status; once the node is stopped, an empty one (id 0), as etcd's. */
    public Status status(Duration timeout) throws TimeoutException {
        try {
            return call(rawNode::status, timeout);
        } catch (NodeStoppedException e) {
            return EMPTY_STATUS;
        }
    }

    public void reportUnreachable(long id) {
        submit(() -> rawNode.reportUnreachable(id));
    }

    public void reportSnapshot(long id, SnapshotStatus status) {
        submit(() -> rawNode.reportSnapshot(id, status));
    }

    /** Stops the loop and waits for it to end; later calls fail with {@link NodeStoppedException}. */
    @Override
    public void close() throws InterruptedException {
        lock.lock();
        try {
            stopped = true;
            workArrived.signal();
            readyChanged.signalAll();
        } finally {
            lock.unlock();
        }
        loop.join();
    }

    private void stepProposal(Message m, boolean waitForResult, Duration timeout) throws TimeoutException {
        CompletableFuture<Void> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (stopped) {
                throw NodeStoppedException.INSTANCE;
            }
            proposals.add(new Proposal(m.toBuilder().setFrom(raft.id).build(), waitForResult, result));
            workArrived.signal();
        } finally {
            lock.unlock();
        }
        await(result, timeout);
    }

    private <T> T call(java.util.function.Supplier<T> work, Duration timeout) throws TimeoutException {
        CompletableFuture<T> result = new CompletableFuture<>();
        submit(new Work(() -> {
            try {
                result.complete(work.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, result));
        return await(result, timeout);
    }

    private void submit(Runnable work) {
        submit(new Work(work, new CompletableFuture<Void>()));
    }

    private void submit(Work work) {
        lock.lock();
        try {
            if (stopped) {
                throw NodeStoppedException.INSTANCE;
            }
            mailbox.add(work);
            workArrived.signal();
        } finally {
            lock.unlock();
        }
    }

    private static <T> T await(CompletableFuture<T> result, Duration timeout) throws TimeoutException {
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted");
        }
    }

    private void stepIgnoringRefusal(Message m) {
        try {
            raft.step(m);
        } catch (RaftException e) {
            // Only proposals report refusals to their caller; etcd ignores the error here too.
        }
    }

    private void run() {
        long lead = Raft.NONE;
        while (true) {
            List<Work> work;
            List<Proposal> taken = List.of();
            int ticks;
            lock.lock();
            try {
                boolean available = !awaitingAdvance && rawNode.hasReady();
                if (available != readyAvailable) {
                    readyAvailable = available;
                    readyChanged.signalAll();
                }
                while (!stopped && mailbox.isEmpty() && pendingTicks == 0
                        && (proposals.isEmpty() || lead == Raft.NONE)) {
                    workArrived.awaitUninterruptibly();
                }
                if (stopped) {
                    failPending();
                    return;
                }
                work = List.copyOf(mailbox);
                mailbox.clear();
                // Proposals wait while no leader is known, as in etcd.
                if (lead != Raft.NONE) {
                    taken = List.copyOf(proposals);
                    proposals.clear();
                }
                ticks = pendingTicks;
                pendingTicks = 0;
            } finally {
                lock.unlock();
            }

            for (Work w : work) {
                w.run().run();
            }
            for (Proposal proposal : taken) {
                if (!proposal.waitForResult()) {
                    proposal.result().complete(null);
                }
                try {
                    raft.step(proposal.message());
                    proposal.result().complete(null);
                } catch (RuntimeException e) {
                    // Without a waiting caller a refusal goes unreported, as in etcd.
                    proposal.result().completeExceptionally(e);
                }
            }
            for (int i = 0; i < ticks; i++) {
                rawNode.tick();
            }
            lead = logLeaderChange(lead);
        }
    }

    private long logLeaderChange(long lead) {
        if (lead == raft.lead) {
            return lead;
        }
        if (raft.hasLeader()) {
            if (lead == Raft.NONE) {
                raft.logger.info("raft.node: %x elected leader %x at term %d", raft.id, raft.lead, raft.term);
            } else {
                raft.logger.info("raft.node: %x changed leader from %x to %x at term %d", raft.id, lead, raft.lead, raft.term);
            }
        } else {
            raft.logger.info("raft.node: %x lost leader %x at term %d", raft.id, lead, raft.term);
        }
        return raft.lead;
    }

    private void failPending() {
        for (Proposal p : proposals) {
            p.result().completeExceptionally(NodeStoppedException.INSTANCE);
        }
        proposals.clear();
        for (Work w : mailbox) {
            w.result().completeExceptionally(NodeStoppedException.INSTANCE);
        }
        mailbox.clear();
        readyChanged.signalAll();
    }
}
