package io.latchkey.bench;

import com.google.protobuf.ByteString;
import io.latchkey.raft.Config;
import io.latchkey.raft.DefaultLogger;
import io.latchkey.raft.MemoryStorage;
import io.latchkey.raft.Peer;
import io.latchkey.raft.RawNode;
import io.latchkey.raft.Ready;
import io.latchkey.raft.StateType;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.Message;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.model.message.RaftMessage;
import io.microraft.statemachine.StateMachine;
import io.microraft.transport.Transport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Throughput of the Raft core, propose to apply, with everything in one process: no disk, no
 * network, no serialization. One benchmark operation is one committed 64-byte proposal, so
 * JMH's ops/s reads as commits/s and {@code -prof gc}'s {@code gc.alloc.rate.norm} as bytes
 * allocated per commit (across all nodes of the cluster).
 *
 * <p>The MicroRaft benchmarks are the yardstick for the raft-core issue: same cluster size,
 * payload, outstanding proposals and commits per invocation. How to run and the results are in
 * {@code BENCHMARKS.md}. Nothing here asserts on speed: noisy shared machines would make such
 * a check flaky, and the numbers are only meaningful as ratios within one run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RaftCoreBenchmark {
    /**
     * Proposals per benchmark invocation. Large enough that the per-invocation overhead of JMH
     * vanishes and a window of 256 outstanding proposals turns over several times; small
     * enough that even a slow configuration finishes many invocations per iteration.
     */
    static final int COMMITS_PER_INVOCATION = 2048;

    static final int PAYLOAD_SIZE_BYTES = 64;

    // ----------------------------------------------------------------------------------
    // Latchkey: RawNodes on MemoryStorage, driven by the benchmark thread.

    /** (a) One voter: propose, persist, commit, apply, one proposal at a time. */
    @State(Scope.Thread)
    public static class LatchkeySingleNode {
        RawNodeCluster cluster;

        @Setup(Level.Trial)
        public void setUp() {
            cluster = new RawNodeCluster(1);
        }
    }

    /** (b) Three voters delivering messages to each other in process. */
    @State(Scope.Thread)
    public static class LatchkeyThreeNodes {
        /** Proposals the leader has accepted but not yet applied. */
        @Param({"1", "256"})
        int outstanding;

        RawNodeCluster cluster;

        @Setup(Level.Trial)
        public void setUp() {
            cluster = new RawNodeCluster(3);
        }
    }

    @Benchmark
    @OperationsPerInvocation(COMMITS_PER_INVOCATION)
    public long latchkeySingleNode(LatchkeySingleNode s) {
        return s.cluster.replicate(COMMITS_PER_INVOCATION, 1);
    }

    @Benchmark
    @OperationsPerInvocation(COMMITS_PER_INVOCATION)
    public long latchkeyThreeNodes(LatchkeyThreeNodes s) {
        return s.cluster.replicate(COMMITS_PER_INVOCATION, s.outstanding);
    }

    /**
     * RawNodes with ids 1..n on their own MemoryStorages, node 1 the leader. One thread handles
     * each node's Ready in the documented order: persist, send (by stepping the target node
     * directly), apply, advance.
     */
    static final class RawNodeCluster {
        /** Applied entries between log compactions; keeps memory flat over long runs. */
        private static final long COMPACTION_INTERVAL_ENTRIES = 8192;

        private final RawNode[] nodes;
        private final MemoryStorage[] storages;
        private final long[] applied;
        private final ByteString payload = ByteString.copyFrom(new byte[PAYLOAD_SIZE_BYTES]);
        private long compactedIndex;
        /** Counted on the leader only: proposals handed to it and proposals it applied. */
        private long proposed;
        private long committed;

        RawNodeCluster(int size) {
            nodes = new RawNode[size];
            storages = new MemoryStorage[size];
            applied = new long[size];
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                peers.add(new Peer(i + 1));
            }
            // Election ticks matter only for the config's validation: the benchmark never ticks,
            // so leadership cannot move once node 1 has it.
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            for (int i = 0; i < size; i++) {
                storages[i] = new MemoryStorage();
                nodes[i] = new RawNode(new Config()
                        .id(i + 1)
                        .electionTick(10)
                        .heartbeatTick(1)
                        .storage(storages[i])
                        // etcd server's settings: appends of up to 1 MiB, 256 in flight per follower.
                        .maxSizePerMsg(1024 * 1024)
                        .maxInflightMsgs(256)
                        .logger(new DefaultLogger(discard, false))
                        .random(new SplittableRandom(i + 1)));
                nodes[i].bootstrap(peers);
            }
            // Raft refuses to campaign with unapplied conf changes: apply the bootstrap first.
            while (handleReadies()) {
                // Drain.
            }
            nodes[0].campaign();
            while (nodes[0].basicStatus().softState().raftState() != StateType.StateLeader) {
                if (!handleReadies()) {
                    throw new IllegalStateException("node 1 did not win the election");
                }
            }
            // Let the leader's empty entry of its term commit, so that only proposals remain.
            while (handleReadies()) {
                // Drain.
            }
        }

        /**
         * Hands {@code count} proposals to the leader, never more than {@code outstanding}
         * unapplied at once. Whatever room the window has is proposed as one batch, the way a
         * replica proposes what its clients sent since the last Ready. Proposals still in
         * flight at the end carry over into the next invocation, so the pipeline never drains
         * between invocations.
         */
        long replicate(int count, int outstanding) {
            RawNode leader = nodes[0];
            int handed = 0;
            while (handed < count) {
                int room = (int) Math.min(outstanding - (proposed - committed), count - handed);
                if (room > 0) {
                    leader.propose(Collections.nCopies(room, payload));
                    proposed += room;
                    handed += room;
                } else if (!handleReadies()) {
                    throw new IllegalStateException("cluster stalled with proposals in flight");
                }
            }
            return committed;
        }

        /** Handles one Ready of every node that has one; false if none had. */
        private boolean handleReadies() {
            boolean any = false;
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i].hasReady()) {
                    handleReady(i);
                    any = true;
                }
            }
            return any;
        }

        private void handleReady(int i) {
            RawNode node = nodes[i];
            MemoryStorage storage = storages[i];
            Ready rd = node.ready();
            // 1. Persist.
            storage.append(rd.entries());
            if (!Ready.isEmptyHardState(rd.hardState())) {
                storage.setHardState(rd.hardState());
            }
            // 2. Send: the target handles the message now; its own Ready comes on its turn.
            List<Message> messages = rd.messages();
            for (int m = 0; m < messages.size(); m++) {
                Message msg = messages.get(m);
                nodes[(int) msg.getTo() - 1].step(msg);
            }
            // 3. Apply.
            List<Entry> committedEntries = rd.committedEntries();
            if (!committedEntries.isEmpty()) {
                for (int e = 0; e < committedEntries.size(); e++) {
                    Entry entry = committedEntries.get(e);
                    if (i == 0 && entry.getType() == EntryType.EntryNormal && !entry.getData().isEmpty()) {
                        committed++;
                    }
                }
                applied[i] = committedEntries.get(committedEntries.size() - 1).getIndex();
                maybeCompact();
            }
            // 4. Advance.
            node.advance(rd);
        }

        /**
         * Drops log entries every node has applied. Nothing below the lowest applied index is
         * needed again: followers that applied an entry also hold it.
         */
        private void maybeCompact() {
            long minApplied = Long.MAX_VALUE;
            for (long a : applied) {
                minApplied = Math.min(minApplied, a);
            }
            if (minApplied - compactedIndex < COMPACTION_INTERVAL_ENTRIES) {
                return;
            }
            for (MemoryStorage storage : storages) {
                storage.compact(minApplied);
            }
            compactedIndex = minApplied;
        }
    }

    // ----------------------------------------------------------------------------------
    // MicroRaft 0.7, the yardstick: three RaftNodes with their default executor (one thread
    // each) and default store (no persistence), messages handed straight to the target node.

    @State(Scope.Thread)
    public static class MicroRaftThreeNodes {
        /** Replicate futures not yet completed. */
        @Param({"1", "256"})
        int outstanding;

        final byte[] payload = new byte[PAYLOAD_SIZE_BYTES];
        final List<RaftNode> nodes = new ArrayList<>();
        RaftNode leader;
        Semaphore permits;
        /** Set by the first failed replication; the benchmark thread rethrows it. */
        volatile Throwable failure;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            permits = new Semaphore(outstanding);
            List<RaftEndpoint> members = List.of(new Endpoint(1), new Endpoint(2), new Endpoint(3));
            CompletableFuture<RaftNode> leaderElected = new CompletableFuture<>();
            InProcessTransport transport = new InProcessTransport(nodes);
            for (RaftEndpoint member : members) {
                nodes.add(RaftNode.newBuilder()
                        .setGroupId("bench")
                        .setLocalEndpoint(member)
                        .setInitialGroupMembers(members)
                        .setTransport(transport)
                        .setStateMachine(new CountingStateMachine())
                        .setRaftNodeReportListener(report -> {
                            if (report.getRole() == RaftRole.LEADER) {
                                leaderElected.complete(nodes.get(((Endpoint) report.getEndpoint()).index()));
                            }
                        })
                        .build());
            }
            for (RaftNode node : nodes) {
                node.start().join();
            }
            leader = leaderElected.get(30, TimeUnit.SECONDS);
            // Commit the leader's entry of its term before measuring anything.
            leader.replicate(payload).get(30, TimeUnit.SECONDS);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (RaftNode node : nodes) {
                node.terminate().join();
            }
        }

        long replicate(int count) throws InterruptedException {
            for (int i = 0; i < count; i++) {
                permits.acquire();
                if (failure != null) {
                    throw new IllegalStateException("MicroRaft replication failed", failure);
                }
                leader.replicate(payload).whenComplete((result, error) -> {
                    if (error != null) {
                        failure = error;
                    }
                    permits.release();
                });
            }
            return permits.availablePermits();
        }
    }

    @Benchmark
    @OperationsPerInvocation(COMMITS_PER_INVOCATION)
    public long microRaftThreeNodes(MicroRaftThreeNodes s) throws InterruptedException {
        return s.replicate(COMMITS_PER_INVOCATION);
    }

    /** Endpoint {@code id} is the node at {@code id - 1} in the node list. */
    record Endpoint(int id) implements RaftEndpoint {
        @Override
        public Object getId() {
            return id;
        }

        int index() {
            return id - 1;
        }
    }

    /**
     * Delivers each message by handing it to the target node, which queues it on its own
     * executor: MicroRaft's transport contract (never block, never throw) with nothing in
     * between.
     */
    private record InProcessTransport(List<RaftNode> nodes) implements Transport {
        @Override
        public void send(RaftEndpoint target, RaftMessage message) {
            nodes.get(((Endpoint) target).index()).handle(message);
        }

        @Override
        public boolean isReachable(RaftEndpoint endpoint) {
            return true;
        }
    }

    /** Counts applied operations, the analogue of the Latchkey side's apply step. */
    private static final class CountingStateMachine implements StateMachine {
        private static final Object NEW_TERM_OPERATION = new Object();
        private long applied;

        @Override
        public Object runOperation(long commitIndex, Object operation) {
            if (operation instanceof byte[]) {
                applied++;
            }
            return null;
        }

        @Override
        public void takeSnapshot(long snapshotIndex, Consumer<Object> snapshotChunkConsumer) {
            snapshotChunkConsumer.accept(applied);
        }

        @Override
        public void installSnapshot(long snapshotIndex, List<Object> snapshotChunks) {
            applied = (Long) snapshotChunks.get(0);
        }

        @Override
        public Object getNewTermOperation() {
            // MicroRaft commits entries of earlier terms only through one of the new term.
            return NEW_TERM_OPERATION;
        }
    }
}
