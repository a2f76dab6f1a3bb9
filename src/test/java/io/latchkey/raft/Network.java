package io.latchkey.raft;

import io.latchkey.raft.quorum.JointConfig;
import io.latchkey.raft.quorum.MajorityConfig;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.ProgressMap;
import io.latchkey.raft.tracker.ProgressTracker;
import io.latchkey.raft.tracker.TrackerConfig;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static io.latchkey.raft.RaftTestSupport.idsBySize;
import static io.latchkey.raft.RaftTestSupport.newTestConfig;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.withPeers;

/**
 * An in-memory cluster of {@link Raft} state machines (etcd's test {@code network}). Delivery
 * is synchronous and depth-first in send order: {@link #send} keeps delivering until no node
 * has anything left to say. Links can drop messages (with a seeded generator, so runs repeat),
 * message types can be ignored, and a hook can inspect or swallow every message.
 */
final class Network {
    /** What sits at a network address: a state machine, or a black hole. */
    interface StateMachine {
        void step(Message m);

        List<Message> readMessages();

        void advanceMessagesAfterAppend();
    }

    /** Builds the node for a given address; lets scenarios prepare nodes before ids are known. */
    @FunctionalInterface
    interface PeerFactory {
        Raft create(long id);
    }

    /** A peer that swallows every message and never says anything. */
    static final StateMachine BLACK_HOLE = new StateMachine() {
        @Override
        public void step(Message m) {
        }

        @Override
        public List<Message> readMessages() {
            return List.of();
        }

        @Override
        public void advanceMessagesAfterAppend() {
        }

        @Override
        public String toString() {
            return "blackHole";
        }
    };

    private record RaftPeer(Raft raft) implements StateMachine {
        @Override
        public void step(Message m) {
            try {
                raft.step(m);
            } catch (RaftException e) {
                // As in etcd's network, a refused message (e.g. a dropped proposal) is lost.
            }
        }

        @Override
        public List<Message> readMessages() {
            return RaftTestSupport.readMessages(raft);
        }

        @Override
        public void advanceMessagesAfterAppend() {
            RaftTestSupport.advanceMessagesAfterAppend(raft);
        }
    }

    private record Link(long from, long to) {
    }

    final Map<Long, StateMachine> peers = new TreeMap<>();
    /** Storages of the nodes the network created itself. */
    final Map<Long, MemoryStorage> storage = new HashMap<>();
    private final Map<Link, Double> dropm = new HashMap<>();
    private final Set<MessageType> ignorem = EnumSet.noneOf(MessageType.class);
    private final SplittableRandom random = new SplittableRandom(RaftTestSupport.SEED);
    /** Sees every message about to be delivered; returning false drops it. */
    Predicate<Message> msgHook;

    /**
     * A network of the given peers at addresses 1..n. Each peer is {@code null} (a fresh node
     * with election tick 10 and heartbeat tick 1, knowing all addresses as voters), a
     * {@link Raft} (which must already have its address as id), a {@link PeerFactory}, or
     * {@link #BLACK_HOLE}. Nodes passed in get their configuration replaced by "everybody is
     * a voter", keeping whichever of them were learners as learners.
     */
    static Network of(Object... peers) {
        return withConfig(null, peers);
    }

    /** Like {@link #of}, with {@code configFunc} applied to the nodes the network creates. */
    static Network withConfig(Consumer<Config> configFunc, Object... peers) {
        return new Network(configFunc, peers);
    }

    /** A network of {@code size} fresh nodes. */
    static Network fresh(int size) {
        return new Network(null, new Object[size]);
    }

    /** A network of {@code size} fresh nodes configured by {@code configFunc}. */
    static Network fresh(Consumer<Config> configFunc, int size) {
        return new Network(configFunc, new Object[size]);
    }

    private Network(Consumer<Config> configFunc, Object[] specs) {
        long[] addrs = idsBySize(specs.length);
        for (int j = 0; j < specs.length; j++) {
            long id = addrs[j];
            Object spec = specs[j];
            if (spec == null) {
                MemoryStorage s = newTestMemoryStorage(withPeers(addrs));
                storage.put(id, s);
                Config cfg = newTestConfig(id, 10, 1, s);
                if (configFunc != null) {
                    configFunc.accept(cfg);
                }
                peers.put(id, new RaftPeer(new Raft(cfg)));
            } else if (spec instanceof Raft r) {
                peers.put(id, new RaftPeer(adopt(r, id, addrs)));
            } else if (spec instanceof PeerFactory f) {
                peers.put(id, new RaftPeer(adopt(f.create(id), id, addrs)));
            } else if (spec == BLACK_HOLE) {
                peers.put(id, BLACK_HOLE);
            } else {
                throw new IllegalArgumentException("unexpected state machine type: " + spec.getClass());
            }
        }
    }

    /** Gives a node made elsewhere the network's membership, as etcd's network does. */
    private static Raft adopt(Raft r, long id, long[] addrs) {
        if (r.id != id) {
            throw new IllegalArgumentException("node " + r.id + " placed at address " + id + "; create it with that id");
        }
        MajorityConfig oldLearners = r.trk.config().learners();
        MajorityConfig voters = new MajorityConfig();
        MajorityConfig learners = new MajorityConfig();
        ProgressMap progress = new ProgressMap();
        for (long addr : addrs) {
            Progress pr = new Progress();
            if (oldLearners.contains(addr)) {
                pr.setIsLearner(true);
                learners.add(addr);
            } else {
                voters.add(addr);
            }
            progress.put(addr, pr);
        }
        ProgressTracker trk = new ProgressTracker(r.trk.maxInflight(), r.trk.maxInflightBytes());
        trk.setConfig(new TrackerConfig(new JointConfig(voters, new MajorityConfig()), false, learners, new MajorityConfig()));
        trk.setProgress(progress);
        r.trk = trk;
        r.reset(r.term);
        return r;
    }

    /**
     * Puts a new node at an existing address (a restarted process), giving it the network's
     * membership like the nodes placed at construction.
     */
    void replace(long id, Raft r) {
        if (!peers.containsKey(id)) {
            throw new IllegalArgumentException("no peer at " + id);
        }
        peers.put(id, new RaftPeer(adopt(r, id, idsBySize(peers.size()))));
    }

    /** The state machine at {@code id}, which must be a {@link Raft}. */
    Raft raft(long id) {
        StateMachine p = peers.get(id);
        if (p instanceof RaftPeer rp) {
            return rp.raft();
        }
        throw new IllegalArgumentException("peer " + id + " is " + p);
    }

    /** The rafts of the network, by address (black holes left out). */
    Map<Long, Raft> rafts() {
        Map<Long, Raft> out = new TreeMap<>();
        peers.forEach((id, p) -> {
            if (p instanceof RaftPeer rp) {
                out.put(id, rp.raft());
            }
        });
        return out;
    }

    /** Delivers the messages and everything they cause, until the network is quiet. */
    void send(Message... msgs) {
        Deque<Message> queue = new ArrayDeque<>(Arrays.asList(msgs));
        while (!queue.isEmpty()) {
            Message m = queue.poll();
            StateMachine p = peers.get(m.getTo());
            if (p == null) {
                throw new IllegalStateException("message to unknown peer " + m.getTo() + ": " + m);
            }
            p.step(m);
            p.advanceMessagesAfterAppend();
            queue.addAll(filter(p.readMessages()));
        }
    }

    /** Drops messages from {@code from} to {@code to} with probability {@code perc}. */
    void drop(long from, long to, double perc) {
        dropm.put(new Link(from, to), perc);
    }

    /** Drops everything between the two nodes, both ways. */
    void cut(long one, long other) {
        drop(one, other, 2.0);
        drop(other, one, 2.0);
    }

    /** Drops everything to and from {@code id}. */
    void isolate(long id) {
        for (int i = 0; i < peers.size(); i++) {
            long nid = i + 1;
            if (nid != id) {
                drop(id, nid, 1.0);
                drop(nid, id, 1.0);
            }
        }
    }

    /** Drops every message of this type. */
    void ignore(MessageType t) {
        ignorem.add(t);
    }

    /** Heals all links and stops ignoring message types (the hook stays). */
    void recover() {
        dropm.clear();
        ignorem.clear();
    }

    private List<Message> filter(List<Message> msgs) {
        List<Message> out = new ArrayList<>(msgs.size());
        for (Message m : msgs) {
            if (ignorem.contains(m.getType())) {
                continue;
            }
            if (m.getType() == MessageType.MsgHup) {
                // A hup is local by nature; one on the wire means the node is broken.
                throw new IllegalStateException("unexpected msgHup");
            }
            double perc = dropm.getOrDefault(new Link(m.getFrom(), m.getTo()), 0.0);
            if (random.nextDouble() < perc) {
                continue;
            }
            if (msgHook != null && !msgHook.test(m)) {
                continue;
            }
            out.add(m);
        }
        return out;
    }
}
