package io.latchkey.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeI;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Helpers shared by the RawNode, Node and Describe tests. */
final class NodeTestSupport {
    /** How long a test waits for something that should happen promptly before it gives up. */
    static final Duration WAIT = Duration.ofSeconds(10);
    /** How long a test watches for something that should not happen. */
    static final Duration QUIET = Duration.ofMillis(50);

    private NodeTestSupport() {
    }

    /** etcd's newTestConfig: no message size limit, 256 inflight messages, quiet logs. */
    static Config newTestConfig(long id, int election, int heartbeat, Storage storage) {
        return new Config()
                .id(id)
                .electionTick(election)
                .heartbeatTick(heartbeat)
                .storage(storage)
                .maxSizePerMsg(Config.NO_LIMIT)
                .maxInflightMsgs(256)
                .logger(TestLoggers.discard());
    }

    /** A storage whose (index 0) snapshot names {@code voters} as the configuration, like etcd's withPeers. */
    static MemoryStorage storageWithPeers(long... voters) {
        MemoryStorage ms = new MemoryStorage(TestLoggers.discard());
        ConfState.Builder cs = ConfState.newBuilder();
        for (long v : voters) {
            cs.addVoters(v);
        }
        ms.applySnapshot(Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setConfState(cs))
                .build());
        return ms;
    }

    static RawNode newTestRawNode(long id, int election, int heartbeat, Storage storage) {
        return new RawNode(newTestConfig(id, election, heartbeat, storage));
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static Entry entry(long term, long index) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    static Entry entry(long term, long index, String data) {
        return Entry.newBuilder().setTerm(term).setIndex(index).setData(bytes(data)).build();
    }

    /**
     * Compares entries by what they mean, not by which optional proto fields happen to be set:
     * an unset type reads as EntryNormal and unset data as empty, as in etcd's proto.Equal use.
     */
    static void assertSameEntries(List<Entry> actual, List<Entry> expected) {
        assertThat(actual.stream().map(NodeTestSupport::canonical).toList())
                .isEqualTo(expected.stream().map(NodeTestSupport::canonical).toList());
    }

    private static String canonical(Entry e) {
        return e.getTerm() + "/" + e.getIndex() + " " + e.getType() + " " + e.getData().toStringUtf8();
    }

    /**
     * Checks a Ready against an expectation, with entries compared via
     * {@link #assertSameEntries} and empty hard states and snapshots treated alike.
     */
    static void assertSameReady(Ready actual, Ready expected) {
        assertThat(actual.softState()).as("soft state").isEqualTo(expected.softState());
        assertThat(Describe.describeHardState(actual.hardState())).as("hard state")
                .isEqualTo(Describe.describeHardState(expected.hardState()));
        assertThat(actual.readStates()).as("read states").isEqualTo(expected.readStates());
        assertSameEntries(actual.entries(), expected.entries());
        assertThat(Ready.isEmptySnap(actual.snapshot())).isEqualTo(Ready.isEmptySnap(expected.snapshot()));
        assertSameEntries(actual.committedEntries(), expected.committedEntries());
        assertThat(actual.messages()).as("messages").isEqualTo(expected.messages());
        assertThat(actual.mustSync()).as("must sync").isEqualTo(expected.mustSync());
    }

    static Ready ready(HardStateValues hs, List<Entry> entries, List<Entry> committed, boolean mustSync) {
        return new Ready(null, hs == null ? io.latchkey.raft.raftpb.HardState.getDefaultInstance() : hs.build(),
                List.of(), entries, Snapshot.getDefaultInstance(), committed, List.of(), mustSync);
    }

    /** Term, vote, commit: the three numbers of a hard state, in etcd's struct order is awkward to read. */
    record HardStateValues(long term, long vote, long commit) {
        io.latchkey.raft.raftpb.HardState build() {
            return io.latchkey.raft.raftpb.HardState.newBuilder().setTerm(term).setVote(vote).setCommit(commit).build();
        }
    }

    /** Decodes the conf change a committed entry carries, or null for a normal entry. */
    static ConfChangeI confChangeOf(Entry e) {
        try {
            if (e.getType() == EntryType.EntryConfChange) {
                return new ConfChangeI.V1(ConfChange.parseFrom(e.getData()));
            }
            if (e.getType() == EntryType.EntryConfChangeV2) {
                return new ConfChangeI.V2(ConfChangeV2.parseFrom(e.getData()));
            }
            return null;
        } catch (InvalidProtocolBufferException ex) {
            throw new AssertionError("undecodable conf change in " + e, ex);
        }
    }

    /**
     * Waits until {@code condition} holds, checking it every millisecond, and fails the test with
     * {@code what} if it does not hold within {@code timeout}.
     */
    static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** The next Ready of {@code n}; fails the test if none comes within {@link #WAIT}. */
    static Ready readyWithin(Node n) throws InterruptedException {
        Ready rd = n.ready(WAIT);
        if (rd == null) {
            fail("timed out waiting for a Ready");
        }
        return rd;
    }

    /** Persists what a Ready asks to persist, in the order the Ready prescribes. */
    static void persist(MemoryStorage s, Ready rd) {
        if (!Ready.isEmptyHardState(rd.hardState())) {
            s.setHardState(rd.hardState());
        }
        if (!Ready.isEmptySnap(rd.snapshot())) {
            s.applySnapshot(rd.snapshot());
        }
        s.append(rd.entries());
    }

    /**
     * Runs a Node's application loop on its own thread, as etcd's node tests do with a
     * goroutine: persist each Ready, hand each committed entry to {@code onCommitted}, advance,
     * then tell {@code afterAdvance} about the Ready; tick whenever no Ready came for a while.
     */
    static final class NodeDriver implements AutoCloseable {
        private final Node node;
        private final MemoryStorage storage;
        private final Consumer<Entry> onCommitted;
        private final Consumer<Ready> afterAdvance;
        private final Thread thread;
        private volatile boolean stopped;
        private volatile Throwable failure;

        NodeDriver(Node node, MemoryStorage storage, Consumer<Entry> onCommitted, Consumer<Ready> afterAdvance) {
            this.node = node;
            this.storage = storage;
            this.onCommitted = onCommitted;
            this.afterAdvance = afterAdvance;
            this.thread = Thread.ofPlatform().name("node-driver").daemon().start(this::run);
        }

        private void run() {
            try {
                while (!stopped) {
                    Ready rd = node.ready(Duration.ofMillis(100));
                    if (rd == null) {
                        node.tick();
                        continue;
                    }
                    persist(storage, rd);
                    rd.committedEntries().forEach(onCommitted);
                    node.advance();
                    afterAdvance.accept(rd);
                }
            } catch (Throwable t) {
                if (!stopped) {
                    failure = t;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            thread.join(WAIT.toMillis());
            assertThat(thread.isAlive()).as("driver thread still running").isFalse();
            if (failure != null) {
                throw new AssertionError("node driver failed", failure);
            }
        }
    }

    /** Reads entries for {@link EntriesOverrideStorage}. */
    @FunctionalInterface
    interface EntriesReader {
        List<Entry> entries(MemoryStorage delegate, long lo, long hi, long maxSize);
    }

    /** A MemoryStorage whose entries are read another way; everything else is the delegate's. */
    static final class EntriesOverrideStorage implements Storage {
        final MemoryStorage delegate;
        private final EntriesReader reader;

        EntriesOverrideStorage(MemoryStorage delegate, EntriesReader reader) {
            this.delegate = delegate;
            this.reader = reader;
        }

        /** etcd's ignoreSizeHintMemStorage: hands out entries past the size limit raft asks for. */
        static EntriesOverrideStorage ignoringSizeHint(MemoryStorage delegate) {
            return new EntriesOverrideStorage(delegate, (d, lo, hi, maxSize) -> d.entries(lo, hi, Long.MAX_VALUE));
        }

        @Override
        public InitialState initialState() {
            return delegate.initialState();
        }

        @Override
        public List<Entry> entries(long lo, long hi, long maxSize) {
            return reader.entries(delegate, lo, hi, maxSize);
        }

        @Override
        public long term(long i) {
            return delegate.term(i);
        }

        @Override
        public long lastIndex() {
            return delegate.lastIndex();
        }

        @Override
        public long firstIndex() {
            return delegate.firstIndex();
        }

        @Override
        public Snapshot snapshot() {
            return delegate.snapshot();
        }
    }

    /**
     * A cluster of RawNodes on one thread, standing in for etcd's raft-level test network: each
     * node's Readys are persisted and their messages delivered until nothing moves. Nodes may be
     * isolated, and a hook sees (and may drop) every message in flight.
     */
    static final class RawNodeCluster {
        final TreeMap<Long, RawNode> nodes = new TreeMap<>();
        final TreeMap<Long, MemoryStorage> storages = new TreeMap<>();
        private final Set<Long> isolated = new HashSet<>();
        private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
        private final TreeMap<Long, List<ReadState>> readStates = new TreeMap<>();
        /** Returns false to drop a message. */
        Predicate<Message> msgHook = m -> true;

        /** A cluster of voters {@code 1..size}, each configured by {@code tweak}. */
        static RawNodeCluster of(int size, Consumer<Config> tweak) {
            RawNodeCluster c = new RawNodeCluster();
            long[] ids = new long[size];
            for (int i = 0; i < size; i++) {
                ids[i] = i + 1;
            }
            for (long id : ids) {
                MemoryStorage s = storageWithPeers(ids);
                Config cfg = newTestConfig(id, 10, 1, s);
                tweak.accept(cfg);
                c.nodes.put(id, new RawNode(cfg));
                c.storages.put(id, s);
            }
            return c;
        }

        RawNode node(long id) {
            return nodes.get(id);
        }

        void isolate(long id) {
            isolated.add(id);
        }

        void recover() {
            isolated.clear();
        }

        /** Steps a message into its addressee (as etcd's network.send does), then settles the cluster. */
        void send(Message m) {
            stepQuietly(nodes.get(m.getTo()), m);
            stabilize();
        }

        /** Makes {@code id} campaign and lets the election play out. */
        void elect(long id) {
            nodes.get(id).campaign();
            stabilize();
        }

        /**
         * Processes one Ready of {@code id} (persist, hand messages to the network, advance)
         * and returns it, without delivering anything.
         */
        Ready handleReady(long id) {
            Ready rd = takeReady(id);
            inFlight.addAll(rd.messages());
            return rd;
        }

        /** Like {@link #handleReady}, but the test keeps the messages: they are never delivered. */
        Ready takeReady(long id) {
            RawNode rn = nodes.get(id);
            Ready rd = rn.ready();
            persist(storages.get(id), rd);
            readStates.computeIfAbsent(id, k -> new ArrayList<>()).addAll(rd.readStates());
            rn.advance(rd);
            return rd;
        }

        /** Every ReadState node {@code id} has handed out so far. */
        List<ReadState> readStates(long id) {
            return readStates.getOrDefault(id, List.of());
        }

        /** Runs Readys and delivers messages until no node has anything left to do. */
        void stabilize() {
            boolean moved = true;
            while (moved) {
                moved = false;
                for (long id : nodes.keySet()) {
                    if (nodes.get(id).hasReady()) {
                        handleReady(id);
                        moved = true;
                    }
                }
                moved |= deliverAll();
            }
        }

        /** Delivers everything in flight (not what it causes); false if nothing was in flight. */
        boolean deliverAll() {
            if (inFlight.isEmpty()) {
                return false;
            }
            List<Message> batch = new ArrayList<>(inFlight);
            inFlight.clear();
            for (Message m : batch) {
                if (isolated.contains(m.getFrom()) || isolated.contains(m.getTo()) || !msgHook.test(m)) {
                    continue;
                }
                RawNode to = nodes.get(m.getTo());
                if (to != null) {
                    stepQuietly(to, m);
                }
            }
            return true;
        }

        private static void stepQuietly(RawNode rn, Message m) {
            try {
                rn.step(m);
            } catch (RaftException e) {
                // A dropped proposal or refused message is part of the scenario, not a failure.
            }
        }
    }
}
