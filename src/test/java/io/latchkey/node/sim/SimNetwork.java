package io.latchkey.node.sim;

import io.latchkey.node.PeerTransport;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The simulated network between replicas: every message is delivered after a random delay
 * (so messages reorder), or dropped, or duplicated, as the seeded random decides; partitions
 * drop everything between groups, a deaf node receives nothing but is still heard, and a
 * single direction between two nodes can be cut. Delivery happens through the cluster's event
 * queue, in simulated time.
 */
final class SimNetwork {
    interface Scheduler {
        void schedule(long delayMicros, Runnable event);
    }

    /** Where a message for a node goes; null while the node is down. */
    interface Directory {
        PeerTransport.Listener listener(long nodeId);
    }

    private final Random random;
    private final Scheduler scheduler;
    private final Directory directory;
    private final Map<Long, Integer> partitionGroup = new HashMap<>();
    /** Nodes that receive nothing from their peers but can still send (a one-way partition). */
    private final Set<Long> deaf = new HashSet<>();
    /** Single directions cut between two nodes whose other links stay up. */
    private final Set<Link> cut = new HashSet<>();
    double dropProbability;
    double duplicateProbability;
    long delayMinMicros = 100;
    long delayMaxMicros = 3_000;
    long delivered;
    long dropped;

    SimNetwork(Random random, Scheduler scheduler, Directory directory) {
        this.random = random;
        this.scheduler = scheduler;
        this.directory = directory;
    }

    /** Splits the nodes into groups that cannot reach each other. */
    void partition(Map<Long, Integer> groups) {
        partitionGroup.clear();
        partitionGroup.putAll(groups);
    }

    /** From now on {@code id} hears from no peer, while its own messages still arrive. */
    void deafen(long id) {
        deaf.add(id);
    }

    void undeafen(long id) {
        deaf.remove(id);
    }

    /** From now on messages from {@code from} to {@code to} are lost; the other direction is untouched. */
    void cut(long from, long to) {
        cut.add(new Link(from, to));
    }

    void heal() {
        partitionGroup.clear();
        deaf.clear();
        cut.clear();
    }

    /** Whether a message from {@code from} reaches {@code to}. */
    boolean connected(long from, long to) {
        return !deaf.contains(to) && !cut.contains(new Link(from, to))
                && partitionGroup.getOrDefault(from, 0).equals(partitionGroup.getOrDefault(to, 0));
    }

    private record Link(long from, long to) {
    }

    PeerTransport transportFor(long nodeId) {
        return new HandTransport(messages -> messages.forEach(m -> route(nodeId, m)));
    }

    private void route(long from, Message m) {
        if (random.nextDouble() < dropProbability) {
            dropped++;
            reportLoss(from, m);
            return;
        }
        int copies = random.nextDouble() < duplicateProbability ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = delayMinMicros + (long) (random.nextDouble() * (delayMaxMicros - delayMinMicros));
            scheduler.schedule(delay, () -> deliver(from, m));
        }
    }

    private void deliver(long from, Message m) {
        PeerTransport.Listener target = directory.listener(m.getTo());
        if (target == null || !connected(from, m.getTo())) {
            dropped++;
            reportLoss(from, m);
            return;
        }
        delivered++;
        target.received(m);
        if (m.getType() == MessageType.MsgSnap) {
            scheduler.schedule(0, () -> {
                PeerTransport.Listener sender = directory.listener(from);
                if (sender != null) {
                    sender.snapshotSent(m.getTo(), true);
                }
            });
        }
    }

    /** A real transport notices failed sends; tell the sender like it would, a moment later. */
    private void reportLoss(long from, Message m) {
        scheduler.schedule(0, () -> tellSender(from, m));
    }

    private void tellSender(long from, Message m) {
        PeerTransport.Listener sender = directory.listener(from);
        if (sender == null) {
            return;
        }
        if (m.getType() == MessageType.MsgSnap) {
            sender.snapshotSent(m.getTo(), false);
        } else {
            sender.unreachable(m.getTo());
        }
    }
}
