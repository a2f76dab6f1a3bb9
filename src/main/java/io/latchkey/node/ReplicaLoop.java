package io.latchkey.node;

import com.google.protobuf.ByteString;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.Status;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Runs a {@link Replica} on its own thread: every call from outside becomes a task in the
 * loop's inbox, ticks arrive from a timer, and between tasks the loop handles Readies. The
 * replica itself is never touched by another thread.
 *
 * <p>Futures returned here complete on the loop thread; callers must not do slow work in
 * their continuations (block on them from another thread, or hop to an executor).
 */
public final class ReplicaLoop implements AutoCloseable, PeerTransport.Listener {
    /** Tasks taken from the inbox before the next Ready is handled; batches proposals into one write. */
    private static final int TASKS_PER_READY_MAX = 4096;
    /** The context of a forwarded MsgReadIndex that asks for the leader lease (as Raft writes it). */
    private static final ByteString LEASE_READ_CONTEXT = ByteString.copyFromUtf8(ReadOnlyOption.ReadOnlyLeaseBased.name());

    private final Replica replica;
    private final PeerTransport transport;
    private final Duration tickInterval;
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ScheduledExecutorService ticker;
    /** Serializes and saves the replica's snapshots, so that the loop does not wait for them. */
    private final ExecutorService snapshotter;
    /** Async storage writes: append batches waiting for the writer, which group-commits them. */
    private final LinkedBlockingQueue<List<Message>> appendQueue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean stopping;
    /** The monotonic clock ticks follow (System::nanoTime; a test's own clock). */
    private final LongSupplier clock;
    /** Which ticks are due (set before the loop starts, then used on the loop only). */
    private TickSchedule ticks;
    private volatile Throwable failure;
    private volatile WriteStage.Timer stageTimer = WriteStage.Timer.NONE;

    public ReplicaLoop(Replica replica, PeerTransport transport, Duration tickInterval) {
        this(replica, transport, tickInterval, System::nanoTime);
    }

    ReplicaLoop(Replica replica, PeerTransport transport, Duration tickInterval, LongSupplier clock) {
        this.clock = clock;
        this.replica = replica;
        this.transport = transport;
        this.tickInterval = tickInterval;
        this.thread = Thread.ofPlatform().name("replica-" + Long.toHexString(replica.id())).unstarted(this::run);
        this.writer = Thread.ofPlatform().name("replica-writer-" + Long.toHexString(replica.id())).unstarted(this::write);
        this.ticker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("replica-ticker-" + Long.toHexString(replica.id())).daemon().factory());
        this.snapshotter = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("replica-snapshot-" + Long.toHexString(replica.id())).daemon().factory());
        replica.snapshotInBackground(snapshotter, task -> submit(r -> task.run()));
    }

    /** Starts the loop, the ticks and the transport. */
    public void start() {
        transport.start(this);
        ticks = new TickSchedule(clock.getAsLong(), tickInterval, TickSchedule.burstMax(replica.electionTicks()));
        thread.start();
        writer.start();
        long tickNanos = tickInterval.toNanos();
        // Fixed delay, not fixed rate: after a pause a fixed-rate timer fires all its missed runs
        // back to back, which would defeat the burst bound of the schedule.
        ticker.scheduleWithFixedDelay(this::timerFired, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    /** On the ticker: queues the ticks due now, behind the messages that arrived before. */
    void timerFired() {
        long firedAt = clock.getAsLong();
        inbox.add(() -> deliverTicks(ticks.takeForTimer(firedAt)));
    }

    /** Proposes a command; see {@link Replica#propose}. Fails with a timeout {@link ReplicaException}. */
    public CompletableFuture<ByteString> propose(Proposal proposal, Duration timeout) {
        WriteStage.Timer timer = stageTimer;
        long called = System.nanoTime();
        CompletableFuture<ByteString> result = call(r -> {
            timer.record(WriteStage.PROPOSE_QUEUE, System.nanoTime() - called);
            return r.propose(proposal);
        }, timeout);
        result.thenRun(() -> timer.record(WriteStage.PROPOSAL, System.nanoTime() - called));
        return result;
    }

    /** Where the loop's stage latencies go ({@link WriteStage#PROPOSE_QUEUE}, {@link WriteStage#PROPOSAL}, {@link WriteStage#INBOX}). */
    public void setStageTimer(WriteStage.Timer timer) {
        this.stageTimer = timer;
    }

    public CompletableFuture<ByteString> proposeConfChange(ConfChange change, Duration timeout) {
        return call(r -> r.proposeConfChange(change), timeout);
    }

    /**
     * A linearizable read barrier; see {@link Replica#readBarrier}. A lease read on the leader
     * first gets every tick that is due (see {@link #catchUpForLease}); on a follower it becomes
     * a MsgReadIndex, and the leader catches up when that arrives.
     */
    public CompletableFuture<Long> readBarrier(ReadOnlyOption mode, Duration timeout) {
        return call(r -> {
            if (mode == ReadOnlyOption.ReadOnlyLeaseBased) {
                catchUpForLease();
            }
            return r.readBarrier(mode);
        }, timeout);
    }

    /**
     * On the loop, before the leader decides on a lease read: the ticks the timer has not
     * delivered yet (late firings, bounded bursts after a pause) are delivered now, all of them.
     * A leader with fewer ticks than real time would trust its lease for too long (raft package
     * documentation, "Lease reads", 3). A follower needs none: it does not decide.
     */
    private void catchUpForLease() {
        if (replica.leaderId() == replica.id()) {
            deliverTicks(ticks.takeAll(clock.getAsLong()));
        }
    }

    private void deliverTicks(long count) {
        for (long i = 0; i < count; i++) {
            replica.tick();
        }
    }

    /** Runs {@code query} on the loop thread, for consistent snapshots of replica state. */
    public <T> CompletableFuture<T> query(Function<Replica, T> query, Duration timeout) {
        return call(r -> CompletableFuture.completedFuture(query.apply(r)), timeout);
    }

    public CompletableFuture<Status> status(Duration timeout) {
        return query(Replica::status, timeout);
    }

    public void transferLeadership(long transferee) {
        submit(r -> r.transferLeadership(transferee));
    }

    public void campaign() {
        submit(Replica::campaign);
    }

    @Override
    public void received(Message message) {
        MessageType type = message.getType();
        if (type == MessageType.MsgReadIndex && message.getContext().equals(LEASE_READ_CONTEXT)) {
            // A follower's lease read: the leader decides on it, with all its ticks.
            submit(r -> {
                catchUpForLease();
                r.receive(message);
            });
        } else if (type == MessageType.MsgApp || type == MessageType.MsgAppResp) {
            WriteStage.Timer timer = stageTimer;
            long arrived = System.nanoTime();
            submit(r -> {
                timer.record(WriteStage.INBOX, System.nanoTime() - arrived);
                r.receive(message);
            });
        } else {
            submit(r -> r.receive(message));
        }
    }

    @Override
    public void unreachable(long peerId) {
        submit(r -> r.unreachable(peerId));
    }

    @Override
    public void snapshotSent(long peerId, boolean delivered) {
        submit(r -> r.snapshotSent(peerId, delivered));
    }

    /**
     * Waits for a future of this loop from another thread, unwrapping its failure: the
     * {@link ReplicaException} (or other runtime exception) it failed with is rethrown as is.
     */
    public static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the replica", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The error that stopped the loop, or null while it runs. */
    public Throwable failure() {
        return failure;
    }

    @Override
    public void close() {
        stopping = true;
        ticker.shutdownNow();
        inbox.add(() -> {
        });
        // Wakes the writer, which waits for work a tick interval at a time.
        appendQueue.add(List.of());
        try {
            thread.join(Duration.ofSeconds(10));
            writer.join(Duration.ofSeconds(10));
            // A snapshot being saved finishes (or fails) before the store it writes to closes.
            snapshotter.shutdown();
            snapshotter.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transport.close();
    }

    private <T> CompletableFuture<T> call(Function<Replica, CompletableFuture<T>> request, Duration timeout) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (stopping || failure != null) {
            result.completeExceptionally(ReplicaException.stopped());
            return result;
        }
        inbox.add(() -> {
            CompletableFuture<T> answer;
            try {
                answer = request.apply(replica);
            } catch (RuntimeException e) {
                // The caller's failure (e.g. a query refusing to answer), not the replica's.
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((value, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(value);
                }
            });
        });
        return result.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(error -> CompletableFuture.failedFuture(
                        error instanceof TimeoutException ? ReplicaException.timeout() : error));
    }

    private void submit(java.util.function.Consumer<Replica> task) {
        if (!stopping) {
            inbox.add(() -> task.accept(replica));
        }
    }

    /**
     * The writer of async storage writes: takes every batch queued since its last write and
     * makes them durable in one commit (sending the peers' responses itself), then hands the
     * durable batches back to the loop.
     */
    private void write() {
        List<List<Message>> batches = new ArrayList<>();
        try {
            while (!stopping) {
                List<Message> first = appendQueue.poll(tickInterval.toNanos(), TimeUnit.NANOSECONDS);
                if (first == null || first.isEmpty()) {
                    continue;
                }
                batches.add(first);
                appendQueue.drainTo(batches);
                List<Message> all = new ArrayList<>();
                batches.forEach(all::addAll);
                batches.clear();
                Replica.Durable durable = replica.persist(all);
                inbox.add(() -> replica.appendDurable(durable));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // A write that failed leaves durability unknown: stop, like the loop does.
            failure = e;
            stopping = true;
            inbox.add(() -> {
            });
        }
    }

    private void run() {
        List<Runnable> batch = new ArrayList<>();
        try {
            while (!stopping) {
                Runnable first = inbox.poll(tickInterval.toNanos(), TimeUnit.NANOSECONDS);
                if (first != null) {
                    first.run();
                    inbox.drainTo(batch, TASKS_PER_READY_MAX);
                    for (Runnable task : batch) {
                        task.run();
                    }
                    batch.clear();
                }
                while (replica.hasReady() && !stopping) {
                    replica.processReady();
                }
                if (replica.hasAppendWork()) {
                    appendQueue.add(replica.takeAppendWork());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // A failed write or apply leaves the replica in an unknown state: stop serving
            // rather than acknowledge anything more. A restart recovers from the durable log.
            failure = e;
        } finally {
            stopping = true;
            replica.failPending(ReplicaException.stopped());
        }
    }
}
