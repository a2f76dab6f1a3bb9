package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
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
    private Ready pendingReady;
    private boolean awaitingAdvance;
    private boolean advanceRequested;
    private boolean stopped;

    private record Proposal(Message message, CompletableFuture<Void> result) {
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
        step(Message.newBuilder().setType(MessageType.MsgHup).build(), timeout);
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
                .addEntries(Entry.newBuilder().setData(data)).build(), timeout);
    }

    public void proposeConfChange(ConfChange cc, Duration timeout) throws TimeoutException {
        stepProposal(Raft.confChangeToMsg(cc), timeout);
    }

    public void proposeConfChange(ConfChangeV2 cc, Duration timeout) throws TimeoutException {
        stepProposal(Raft.confChangeToMsg(cc), timeout);
    }

    /**
     * Steps a message received from a peer. Local message types from outside are ignored, as
     * are responses from non-members.
     */
    public void step(Message m, Duration timeout) throws TimeoutException {
        if (Describe.isLocalMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())) {
            return;
        }
        if (m.getType() == MessageType.MsgProp) {
            stepProposal(m, timeout);
            return;
        }
        call(() -> {
            if (Describe.isResponseMsg(m.getType()) && !Describe.isLocalMsgTarget(m.getFrom())
                    && raft.trk.progress().get(m.getFrom()) == null) {
                return null;
            }
            stepIgnoringRefusal(m);
            return null;
        }, timeout);
    }

    /**
     * Takes the next Ready, waiting up to {@code timeout}; null if none came. Handle it and
     * call {@link #advance} before the next one is produced.
     *
     * @throws NodeStoppedException if the node is stopped
     */
    public Ready ready(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (pendingReady == null) {
                if (stopped) {
                    throw NodeStoppedException.INSTANCE;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                readyChanged.awaitNanos(remaining);
            }
            Ready rd = pendingReady;
            pendingReady = null;
            awaitingAdvance = !asyncStorageWrites;
            workArrived.signal();
            return rd;
        } finally {
            lock.unlock();
        }
    }

    /** Tells the node the last Ready is handled (not used with async storage writes). */
    public void advance() {
        lock.lock();
        try {
            advanceRequested = true;
            workArrived.signal();
        } finally {
            lock.unlock();
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

    public Status status(Duration timeout) throws TimeoutException {
        return call(rawNode::status, timeout);
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

    private void stepProposal(Message m, Duration timeout) throws TimeoutException {
        CompletableFuture<Void> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (stopped) {
                throw NodeStoppedException.INSTANCE;
            }
            proposals.add(new Proposal(m.toBuilder().setFrom(raft.id).build(), result));
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
        } catch (ProposalDroppedException e) {
            // Only proposals report refusals to their caller.
        }
    }

    private void run() {
        long lead = Raft.NONE;
        while (true) {
            Work work = null;
            Proposal proposal = null;
            int ticks;
            boolean advance;
            lock.lock();
            try {
                if (pendingReady == null && !awaitingAdvance && rawNode.hasReady()) {
                    pendingReady = rawNode.ready();
                    readyChanged.signalAll();
                }
                while (!stopped && mailbox.isEmpty() && pendingTicks == 0 && !advanceRequested
                        && (proposals.isEmpty() || lead == Raft.NONE)) {
                    workArrived.awaitUninterruptibly();
                }
                if (stopped) {
                    failPending();
                    return;
                }
                work = mailbox.poll();
                if (lead != Raft.NONE) {
                    proposal = proposals.poll();
                }
                ticks = pendingTicks;
                pendingTicks = 0;
                advance = advanceRequested && awaitingAdvance;
                advanceRequested = false;
                if (advance) {
                    awaitingAdvance = false;
                }
            } finally {
                lock.unlock();
            }

            if (work != null) {
                work.run().run();
            }
            if (proposal != null) {
                try {
                    raft.step(proposal.message());
                    proposal.result().complete(null);
                } catch (RuntimeException e) {
                    proposal.result().completeExceptionally(e);
                }
            }
            for (int i = 0; i < ticks; i++) {
                rawNode.tick();
            }
            if (advance) {
                rawNode.advance(null);
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
