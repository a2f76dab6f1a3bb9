package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.ReplicaException;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.Logger;
import io.latchkey.raft.RaftPanicException;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.StateType;
import io.latchkey.raft.Status;
import io.latchkey.raft.StorageException;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A cluster of real {@link Replica}s driven by one seeded random in simulated time: the
 * network drops, delays, duplicates and partitions; replicas crash at named points and
 * restart from what their log store made durable; disks fail writes. After every event the
 * checkers run; a violation throws {@link SimulationFailure} naming the seed, and the same
 * seed replays the same run.
 */
final class SimCluster {
    static final long TICK_MICROS = 10_000;
    /**
     * Each node's clock runs at its own rate, up to this fraction faster or slower than
     * nominal: tick periods then differ by a factor of up to 1.04 / 0.96 = 1.083, inside the
     * 1.125 the default lease margin tolerates with 10 election ticks (raft package
     * documentation, "Lease reads").
     */
    static final double TICK_RATE_SPREAD = 0.04;

    private final long seed;
    private final Random random;
    /** Half the seeds run replicas with async storage writes, the other half persist on the loop. */
    private final boolean asyncStorageWrites;
    private final SimNetwork network;
    private final Map<Long, SimNode> nodes = new TreeMap<>();
    /** Where the replicas' Raft events go with -Dlatchkey.sim.trace-dir, else null. */
    private final SimTraceFile traceFile;
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private long nowMicros;
    private long eventSeq;

    // What the checkers know.
    private final Map<Long, Long> leaderByTerm = new HashMap<>();
    /** Command at each log index, as first applied by any replica. */
    private final Map<Long, ByteString> appliedByIndex = new HashMap<>();
    private final List<Operation> history = new ArrayList<>();
    private long nextOperationId = 1;
    /** The forgetful-follower attack under way (see {@link #scheduleForgetLeaderAttacks}), or null. */
    private ForgetLeaderAttack attack;
    long crashes;
    long operationsAcknowledged;
    /** How often a follower was told to forget its leader just as a cut-off node asked for its vote. */
    long forgetLeaderAtVote;

    private record Event(long timeMicros, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(timeMicros, o.timeMicros);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** A client operation: a write (counter increment) or a linearizable read. */
    static final class Operation {
        final long id;
        final boolean write;
        final long invokedMicros;
        /** For diagnosis: which node served it and, for reads, in which mode. */
        String detail = "";
        long completedMicros = -1;
        /** Total returned: the write's position, or the value read. */
        long value = -1;
        /** For a write: the operation whose applied command the answer came from (must be this one). */
        long answeredWith = -1;
        /** For a local (serializable) read: the node that answered it from its own state; else 0. */
        long localNode;
        boolean failed;

        Operation(long id, boolean write, long invokedMicros) {
            this.id = id;
            this.write = write;
            this.invokedMicros = invokedMicros;
        }

        boolean ok() {
            return completedMicros >= 0 && !failed;
        }
    }

    /**
     * A leader cut off (both ways) from {@code cutOff}, a minority, while the rest still hear
     * it and renew its lease; see {@link #scheduleForgetLeaderAttacks}.
     */
    private record ForgetLeaderAttack(long leader, Set<Long> cutOff) {
    }

    /** The clients' mix of operations. */
    enum Workload {
        /** Mostly writes, some quorum and lease reads, some local reads. */
        MIXED,
        /**
         * One write in about 30 operations, nearly all the rest lease reads: where lease reads
         * are worth having, and what lets a cut-off node's log stay current long enough to
         * win an election (a voter refuses a candidate whose log is behind its own).
         */
        READ_MOSTLY
    }

    /** One member: its durable store survives crashes; its replica and state do not. */
    private final class SimNode {
        final long id;
        final SimLogStore store = new SimLogStore();
        Replica replica;
        CounterStateMachine stateMachine;
        /** Operation ids this incarnation applied, to catch a retried write applied twice. */
        Set<Long> appliedOperations = new HashSet<>();
        CrashPoints.Point crashAt;
        /** When this node's simulated writer finishes its last queued write (async storage writes). */
        long writerBusyUntilMicros;
        /** When the loop last learned of a durable write (the writer's hand-off back to it). */
        long durableHandedUntilMicros;
        /** This node's tick period: its clock's rate differs from the others'. */
        final long tickMicros;

        SimNode(long id, long tickMicros) {
            this.id = id;
            this.tickMicros = tickMicros;
        }

        boolean up() {
            return replica != null;
        }

        void start(boolean bootstrap, List<Member> members) {
            appliedOperations = new HashSet<>();
            stateMachine = new CounterStateMachine((index, payload) -> onApplied(this, index, payload));
            ReplicaConfig config = new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0,
                    50, 20, 10_000, ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT, asyncStorageWrites,
                    new Random(random.nextLong())).withTraceLogger(traceFile);
            replica = new Replica(config, store, network.transportFor(id), stateMachine, QUIET, this::reachCrashPoint);
            if (bootstrap) {
                replica.bootstrap(members);
            }
        }

        void reachCrashPoint(CrashPoints.Point point) {
            if (point == crashAt) {
                crashAt = null;
                throw new SimulatedCrash(point);
            }
        }

        void crash() {
            store.crash(random.nextBoolean());
            replica = null;
            stateMachine = null;
            crashes++;
        }
    }

    private static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(CrashPoints.Point point) {
            super("crash at " + point, null, false, false);
        }
    }

    static final class SimulationFailure extends AssertionError {
        SimulationFailure(long seed, String message) {
            super("simulation seed " + seed + " (replay with -Dlatchkey.sim.seed=" + seed + "): " + message);
        }
    }

    static final Logger QUIET = new Logger() {
        @Override
        public void debug(String format, Object... args) {
        }

        @Override
        public void info(String format, Object... args) {
        }

        @Override
        public void warning(String format, Object... args) {
        }

        @Override
        public void error(String format, Object... args) {
        }

        @Override
        public RaftPanicException fatal(String format, Object... args) {
            throw new RaftPanicException(String.format(format, args));
        }

        @Override
        public RaftPanicException panic(String format, Object... args) {
            throw new RaftPanicException(String.format(format, args));
        }
    };

    SimCluster(long seed, int size) {
        this.seed = seed;
        this.random = new Random(seed);
        this.traceFile = SimTraceFile.forSeed(seed);
        this.asyncStorageWrites = random.nextBoolean();
        this.network = new SimNetwork(random, this::schedule, this::listener);
        List<Member> members = new ArrayList<>();
        for (long id = 1; id <= size; id++) {
            long tickMicros = Math.round(TICK_MICROS * (1 + TICK_RATE_SPREAD * (2 * random.nextDouble() - 1)));
            nodes.put(id, new SimNode(id, tickMicros));
            members.add(Member.newBuilder().setId(id).setName("n" + id).build());
        }
        for (SimNode node : nodes.values()) {
            node.start(true, members);
            scheduleTicks(node.id);
        }
    }

    private PeerTransport.Listener listener(long nodeId) {
        SimNode node = nodes.get(nodeId);
        if (node == null || !node.up()) {
            return null;
        }
        return new PeerTransport.Listener() {
            @Override
            public void received(Message message) {
                if (node.up()) {
                    forgetLeaderAtVoteRequest(node, message);
                    node.replica.receive(message);
                }
            }

            @Override
            public void unreachable(long peerId) {
                if (node.up()) {
                    node.replica.unreachable(peerId);
                }
            }

            @Override
            public void snapshotSent(long peerId, boolean delivered) {
                if (node.up()) {
                    node.replica.snapshotSent(peerId, delivered);
                }
            }
        };
    }

    private void schedule(long delayMicros, Runnable action) {
        events.add(new Event(nowMicros + delayMicros, eventSeq++, action));
    }

    private void scheduleTicks(long nodeId) {
        // Besides its own rate, each tick lands a little early or late.
        SimNode node = nodes.get(nodeId);
        long jitter = (long) (random.nextGaussian() * TICK_MICROS / 20);
        schedule(Math.max(1, node.tickMicros + jitter), () -> {
            if (node.up()) {
                node.replica.tick();
            }
            scheduleTicks(nodeId);
        });
    }

    /** Runs the cluster with faults for {@code durationMicros} of simulated time, then heals and checks. */
    void run(long durationMicros, Faults faults) {
        run(durationMicros, faults, Workload.MIXED);
    }

    void run(long durationMicros, Faults faults, Workload workload) {
        try {
            runWithFaults(durationMicros, faults, workload);
        } finally {
            if (traceFile != null) {
                traceFile.close();
            }
        }
    }

    private void runWithFaults(long durationMicros, Faults faults, Workload workload) {
        network.dropProbability = faults.dropProbability();
        network.duplicateProbability = faults.duplicateProbability();
        long end = nowMicros + durationMicros;
        scheduleClient(workload);
        if (faults.forgetfulFollowers()) {
            scheduleForgetLeaderAttacks(end);
        } else {
            scheduleNemesis(faults, end);
        }
        runUntil(end, true);

        // Heal everything and let the cluster converge; every acknowledged write must survive.
        attack = null;
        network.heal();
        network.dropProbability = 0;
        network.duplicateProbability = 0;
        for (SimNode node : nodes.values()) {
            if (!node.up()) {
                restart(node);
            }
        }
        long quiet = nowMicros + 200 * TICK_MICROS;
        runUntil(quiet, false);
        awaitConvergence();
        checkHistory();
    }

    private void runUntil(long endMicros, boolean clients) {
        while (!events.isEmpty() && events.peek().timeMicros() <= endMicros) {
            Event event = events.poll();
            nowMicros = event.timeMicros();
            event.action().run();
            processReadies();
            checkLeaders();
        }
        nowMicros = endMicros;
    }

    private void processReadies() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (SimNode node : nodes.values()) {
                while (node.up() && node.replica.hasReady()) {
                    progress = true;
                    try {
                        node.replica.processReady();
                    } catch (SimulatedCrash | StorageException e) {
                        crashAndRestartLater(node);
                    }
                }
                if (node.up() && node.replica.hasAppendWork()) {
                    scheduleWrite(node, node.replica.takeAppendWork());
                }
            }
        }
    }

    /**
     * The writer thread of async storage writes: the batch becomes durable a little later, in
     * order with the node's earlier batches, unless the node crashes first (then it is lost,
     * as unsynced writes are).
     */
    private void scheduleWrite(SimNode node, List<Message> work) {
        Replica incarnation = node.replica;
        long at = Math.max(nowMicros + randomBetween(50, 1_500), node.writerBusyUntilMicros + 1);
        node.writerBusyUntilMicros = at;
        schedule(at - nowMicros, () -> {
            if (node.replica != incarnation) {
                return;
            }
            Replica.Durable durable;
            try {
                durable = incarnation.persist(work);
            } catch (SimulatedCrash | StorageException e) {
                crashAndRestartLater(node);
                return;
            }
            // The writer sent the peers' responses already; the loop learns of the write a
            // little later (a thread hand-off), in order with the node's earlier writes.
            long handedAt = Math.max(nowMicros + randomBetween(0, 300), node.durableHandedUntilMicros + 1);
            node.durableHandedUntilMicros = handedAt;
            schedule(handedAt - nowMicros, () -> {
                if (node.replica != incarnation) {
                    return;
                }
                try {
                    incarnation.appendDurable(durable);
                } catch (SimulatedCrash | StorageException e) {
                    crashAndRestartLater(node);
                }
            });
        });
    }

    /** A crash point or a failed fsync: the process dies and comes back from what its store made durable. */
    private void crashAndRestartLater(SimNode node) {
        node.crash();
        long id = node.id;
        schedule(randomBetween(5, 50) * TICK_MICROS, () -> restart(nodes.get(id)));
    }

    private void restart(SimNode node) {
        if (!node.up()) {
            node.start(false, List.of());
        }
    }

    private void scheduleClient(Workload workload) {
        schedule(randomBetween(1, 3) * TICK_MICROS / 2, () -> {
            SimNode node = randomUpNode();
            if (node != null) {
                switch (workload) {
                    case MIXED -> {
                        int kind = random.nextInt(8);
                        if (kind < 2) {
                            read(node, random.nextBoolean() ? ReadOnlyOption.ReadOnlySafe : ReadOnlyOption.ReadOnlyLeaseBased);
                        } else if (kind == 2) {
                            localRead(node);
                        } else {
                            write(node, new Operation(nextOperationId++, true, nowMicros), 0);
                        }
                    }
                    case READ_MOSTLY -> {
                        int kind = random.nextInt(32);
                        if (kind == 0) {
                            write(node, new Operation(nextOperationId++, true, nowMicros), 0);
                        } else if (kind < 3) {
                            read(node, ReadOnlyOption.ReadOnlySafe);
                        } else {
                            read(node, ReadOnlyOption.ReadOnlyLeaseBased);
                        }
                    }
                }
            }
            scheduleClient(workload);
        });
    }

    private void write(SimNode node, Operation op, int attempt) {
        if (attempt == 0) {
            history.add(op);
        }
        // The idempotency key makes a retry safe: the command applies at most once.
        CompletableFuture<ByteString> result = node.replica.propose(new Proposal(CounterStateMachine.encode(op.id), "op-" + op.id,
                ByteString.copyFromUtf8("op-" + op.id), 0));
        result.whenComplete((value, error) -> {
            if (error == null) {
                CounterStateMachine.Applied applied = CounterStateMachine.Applied.decode(value);
                op.completedMicros = nowMicros;
                op.detail = "node " + node.id;
                op.value = applied.total();
                op.answeredWith = applied.operationId();
                operationsAcknowledged++;
            } else if (attempt < 5 && error instanceof ReplicaException) {
                schedule(randomBetween(1, 5) * TICK_MICROS, () -> {
                    SimNode retryNode = randomUpNode();
                    if (retryNode != null) {
                        write(retryNode, op, attempt + 1);
                    }
                });
            }
        });
    }

    private void read(SimNode node, ReadOnlyOption mode) {
        Operation op = new Operation(nextOperationId++, false, nowMicros);
        op.detail = "node " + node.id + " " + mode;
        history.add(op);
        CounterStateMachine stateMachine = node.stateMachine;
        node.replica.readBarrier(mode).whenComplete((index, error) -> {
            if (error == null && node.stateMachine == stateMachine) {
                op.completedMicros = nowMicros;
                op.value = stateMachine.total();
            } else {
                op.failed = true;
            }
        });
    }

    /** A serializable read: the node's own state, which it serves only once caught up after a start. */
    private void localRead(SimNode node) {
        Operation op = new Operation(nextOperationId++, false, nowMicros);
        op.detail = "node " + node.id + " local";
        op.localNode = node.id;
        history.add(op);
        if (node.replica.localReadsReady()) {
            op.completedMicros = nowMicros;
            op.value = node.stateMachine.total();
        } else {
            op.failed = true;
        }
    }

    private void scheduleNemesis(Faults faults, long endMicros) {
        schedule(randomBetween(20, 60) * TICK_MICROS, () -> {
            if (nowMicros >= endMicros) {
                return;
            }
            switch (random.nextInt(9)) {
                case 0 -> {
                    if (faults.partitions()) {
                        Map<Long, Integer> groups = new HashMap<>();
                        for (long id : nodes.keySet()) {
                            groups.put(id, random.nextInt(2));
                        }
                        network.partition(groups);
                    }
                }
                case 1 -> network.heal();
                case 2 -> {
                    SimNode node = randomUpNode();
                    if (faults.crashes() && node != null) {
                        node.crashAt = CrashPoints.Point.values()[random.nextInt(CrashPoints.Point.values().length)];
                    }
                }
                case 3 -> {
                    SimNode node = randomUpNode();
                    if (faults.crashes() && node != null) {
                        node.crash();
                        long id = node.id;
                        schedule(randomBetween(5, 50) * TICK_MICROS, () -> restart(nodes.get(id)));
                    }
                }
                case 4 -> {
                    SimNode node = randomUpNode();
                    if (faults.diskFaults() && node != null) {
                        node.store.failNextWrite();
                    }
                }
                case 5 -> {
                    // Whoever believes it leads (possibly a deposed leader cut off from the
                    // rest) hands leadership to a random member.
                    SimNode leader = randomUpNode();
                    if (faults.leadershipChanges() && leader != null && leader.replica.leaderId() == leader.id) {
                        leader.replica.transferLeadership(randomMember(leader.id));
                    }
                }
                case 7 -> {
                    // The register-test stale read: a leader that stops hearing from its peers
                    // (but is still heard) is asked to transfer; clients keep reaching it.
                    SimNode leader = randomUpNode();
                    if (faults.leadershipChanges() && leader != null && leader.replica.leaderId() == leader.id) {
                        network.deafen(leader.id);
                        leader.replica.transferLeadership(randomMember(leader.id));
                        long id = leader.id;
                        schedule(randomBetween(5, 40) * TICK_MICROS, () -> network.undeafen(id));
                    }
                }
                case 6 -> {
                    // As an operator or a peer would ask, e.g. believing the leader gone.
                    SimNode node = randomUpNode();
                    if (faults.leadershipChanges() && node != null) {
                        node.replica.receive(Message.newBuilder().setType(MessageType.MsgForgetLeader)
                                .setFrom(randomMember(node.id)).setTo(node.id).build());
                    }
                }
                default -> {
                    // A quiet period.
                }
            }
            scheduleNemesis(faults, endMicros);
        });
    }

    /**
     * The ForgetLeader attack (issue 15, item 1): a leader is cut off, both ways, from a
     * minority of the members, while the others keep acknowledging its heartbeats, so its lease
     * stays valid. A cut-off node's election timer runs out and it asks for votes; a follower
     * still within the leader's lease must refuse them (it promised not to vote for another
     * leader within an election timeout of hearing this one). Here that follower is told to
     * forget its leader (MsgForgetLeader) at the worst moment, just as the vote request
     * arrives, and its own messages to the leader are lost from then on, so the leader learns
     * nothing of the new term and keeps its lease. A follower that obeyed would elect the
     * cut-off node while the old leader still answers lease reads: with a read-mostly workload
     * (the cut-off node's log must be current to win), some seeds then see a stale lease read.
     * After some ticks everything heals and another attack may follow.
     */
    private void scheduleForgetLeaderAttacks(long endMicros) {
        schedule(randomBetween(20, 60) * TICK_MICROS, () -> {
            if (nowMicros >= endMicros) {
                return;
            }
            List<SimNode> leaders = nodes.values().stream().filter(n -> n.up() && n.replica.leaderId() == n.id).toList();
            if (leaders.isEmpty()) {
                scheduleForgetLeaderAttacks(endMicros);
                return;
            }
            long leader = leaders.get(random.nextInt(leaders.size())).id;
            List<Long> others = new ArrayList<>(nodes.keySet().stream().filter(id -> id != leader).toList());
            Collections.shuffle(others, random);
            Set<Long> cutOff = Set.copyOf(others.subList(0, nodes.size() / 2));
            for (long id : cutOff) {
                network.cut(leader, id);
                network.cut(id, leader);
            }
            attack = new ForgetLeaderAttack(leader, cutOff);
            schedule(randomBetween(40, 120) * TICK_MICROS, () -> {
                attack = null;
                network.heal();
                scheduleForgetLeaderAttacks(endMicros);
            });
        });
    }

    /** During an attack: a follower of the attacked leader forgets it as a cut-off node asks for its vote. */
    private void forgetLeaderAtVoteRequest(SimNode node, Message message) {
        boolean voteRequest = message.getType() == MessageType.MsgPreVote || message.getType() == MessageType.MsgVote;
        if (attack == null || !voteRequest || node.id == attack.leader() || attack.cutOff().contains(node.id)
                || !attack.cutOff().contains(message.getFrom())) {
            return;
        }
        node.replica.receive(Message.newBuilder().setType(MessageType.MsgForgetLeader)
                .setFrom(message.getFrom()).setTo(node.id).build());
        network.cut(node.id, attack.leader());
        forgetLeaderAtVote++;
    }

    private long randomMember(long other) {
        List<Long> ids = nodes.keySet().stream().filter(id -> id != other).toList();
        return ids.get(random.nextInt(ids.size()));
    }

    private SimNode randomUpNode() {
        List<SimNode> up = nodes.values().stream().filter(SimNode::up).toList();
        return up.isEmpty() ? null : up.get(random.nextInt(up.size()));
    }

    private long randomBetween(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min + 1));
    }

    // ---- checkers ----

    /** Election safety: at most one leader per term (Raft §5.2). */
    private void checkLeaders() {
        for (SimNode node : nodes.values()) {
            if (!node.up()) {
                continue;
            }
            Status status = node.replica.status();
            if (status.basic().softState().raftState() != StateType.StateLeader) {
                continue;
            }
            long term = status.basic().hardState().getTerm();
            Long earlier = leaderByTerm.putIfAbsent(term, node.id);
            if (earlier != null && earlier != node.id) {
                throw new SimulationFailure(seed, "two leaders in term " + term + ": " + earlier + " and " + node.id);
            }
        }
    }

    /** State machine safety: every replica applies the same command at the same index (§5.4.3). */
    private void onApplied(SimNode node, long index, ByteString payload) {
        ByteString earlier = appliedByIndex.putIfAbsent(index, payload);
        if (earlier != null && !earlier.equals(payload)) {
            throw new SimulationFailure(seed, "node " + node.id + " applied a different command at index " + index);
        }
        long operation = CounterStateMachine.decode(payload);
        if (!node.appliedOperations.add(operation)) {
            throw new SimulationFailure(seed, "node " + node.id + " applied operation " + operation + " twice");
        }
    }

    private void awaitConvergence() {
        long deadline = nowMicros + 2_000 * TICK_MICROS;
        while (nowMicros < deadline) {
            Set<Long> totals = new HashSet<>();
            for (SimNode node : nodes.values()) {
                totals.add(node.up() ? node.stateMachine.total() : -1);
            }
            if (totals.size() == 1 && !totals.contains(-1L) && leaderKnown()) {
                return;
            }
            runUntil(nowMicros + 10 * TICK_MICROS, false);
        }
        throw new SimulationFailure(seed, "replicas did not converge after healing");
    }

    private boolean leaderKnown() {
        return nodes.values().stream().allMatch(n -> n.up() && n.replica.leaderId() != 0);
    }

    /**
     * Durability and linearizability of the counter: every acknowledged write is in the final
     * state; acknowledged writes got distinct positions; a read sees every write acknowledged
     * before it began and no more writes than had begun before it ended.
     */
    private void checkHistory() {
        long finalTotal = nodes.values().iterator().next().stateMachine.total();
        Set<Long> positions = new HashSet<>();
        for (Operation op : history) {
            if (op.write && op.ok()) {
                if (op.answeredWith != op.id) {
                    throw new SimulationFailure(seed, "write " + op.id + " (" + op.detail
                            + ") was answered with the result of write " + op.answeredWith);
                }
                if (op.value > finalTotal) {
                    throw new SimulationFailure(seed, "acknowledged write " + op.id + " at position " + op.value
                            + " is lost: final total " + finalTotal);
                }
                if (!positions.add(op.value)) {
                    throw new SimulationFailure(seed, "two writes acknowledged at position " + op.value);
                }
            }
        }
        Map<Long, Operation> lastLocalRead = new HashMap<>();
        for (Operation read : history) {
            if (read.write || !read.ok()) {
                continue;
            }
            if (read.localNode != 0) {
                // Stale is allowed; going back on the same node (e.g. across its restart) is not.
                Operation before = lastLocalRead.put(read.localNode, read);
                if (before != null && read.value < before.value) {
                    throw new SimulationFailure(seed, "local read " + read.id + " on node " + read.localNode + " saw "
                            + read.value + " after read " + before.id + " there saw " + before.value);
                }
            }
            long mustSee = 0;
            Operation mustSeeWrite = null;
            long mayHaveSeen = 0;
            for (Operation w : history) {
                if (!w.write) {
                    continue;
                }
                if (w.ok() && w.completedMicros < read.invokedMicros && w.value > mustSee) {
                    mustSee = w.value;
                    mustSeeWrite = w;
                }
                if (w.invokedMicros <= read.completedMicros) {
                    mayHaveSeen++;
                }
            }
            if (read.value < mustSee && read.localNode == 0) {
                throw new SimulationFailure(seed, "stale read " + read.id + " (" + read.detail + ", " + read.invokedMicros
                        + ".." + read.completedMicros + "us): saw " + read.value + ", write " + mustSeeWrite.id + " ("
                        + mustSeeWrite.detail + ", acknowledged at " + mustSeeWrite.completedMicros + "us) was at " + mustSee);
            }
            if (read.value > mayHaveSeen) {
                throw new SimulationFailure(seed, "read " + read.id + " saw " + read.value + " writes but only " + mayHaveSeen + " had begun");
            }
        }
    }

    /**
     * What the run produced, for checking that a seed replays exactly: the same seed must give
     * the same fingerprint.
     */
    String fingerprint() {
        StringBuilder out = new StringBuilder();
        out.append("async=").append(asyncStorageWrites).append(" crashes=").append(crashes).append(" acknowledged=").append(operationsAcknowledged)
                .append(" delivered=").append(network.delivered).append(" dropped=").append(network.dropped);
        for (Operation op : history) {
            out.append(' ').append(op.id).append(op.write ? 'w' : 'r').append(op.value).append('@').append(op.completedMicros);
        }
        return out.toString();
    }

    /**
     * Which faults the nemesis may inject. {@code forgetfulFollowers} replaces the random
     * nemesis with the ForgetLeader attack of {@link #scheduleForgetLeaderAttacks}.
     */
    record Faults(boolean partitions, boolean crashes, boolean diskFaults, boolean leadershipChanges,
                  boolean forgetfulFollowers, double dropProbability, double duplicateProbability) {
        /** Partitions, crashes, disk faults, leader transfers and ForgetLeader, lossy links. */
        static Faults all() {
            return new Faults(true, true, true, true, false, 0.02, 0.02);
        }

        /** The ForgetLeader attack alone, on slightly lossy links. */
        static Faults forgetLeaderAttacks() {
            return new Faults(false, false, false, false, true, 0.01, 0.01);
        }

        /**
         * Lease reads under leadership changes: partitions and transfers (and ForgetLeader),
         * no crashes or disk faults, which only slow the cluster down here.
         */
        static Faults partitionsAndLeadershipChanges() {
            return new Faults(true, false, false, true, false, 0.02, 0.02);
        }
    }
}
