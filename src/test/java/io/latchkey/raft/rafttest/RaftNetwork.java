package io.latchkey.raft.rafttest;

import io.latchkey.raft.raftpb.Message;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * An in-memory network between {@link ClusterNode}s (etcd-io/raft rafttest/network.go): one
 * bounded inbox per node, with per-link drop rates and random delays and whole nodes
 * disconnected. A full inbox drops the message, as a congested real network would.
 */
final class RaftNetwork {
    private record Link(long from, long to) {
    }

    private record Delay(Duration max, double rate) {
    }

    /** Seeded so that a failing run can be repeated. */
    private final Random rand = new Random(1);
    private final Set<Long> disconnected = new HashSet<>();
    private final Map<Link, Double> dropRates = new HashMap<>();
    private final Map<Link, Delay> delays = new HashMap<>();
    private final Map<Long, BlockingQueue<Message>> inboxes = new HashMap<>();

    RaftNetwork(long... nodes) {
        for (long n : nodes) {
            inboxes.put(n, new ArrayBlockingQueue<>(1024));
        }
    }

    /** The view of the network one node has. */
    NodeNetwork nodeNetwork(long id) {
        return new NodeNetwork(id);
    }

    void send(Message m) {
        BlockingQueue<Message> to;
        double drop;
        Delay delay;
        synchronized (this) {
            to = disconnected.contains(m.getTo()) ? null : inboxes.get(m.getTo());
            Link link = new Link(m.getFrom(), m.getTo());
            drop = dropRates.getOrDefault(link, 0.0);
            delay = delays.get(link);
        }
        if (to == null) {
            return;
        }
        if (drop != 0 && nextDouble() < drop) {
            return;
        }
        if (delay != null && nextDouble() < delay.rate()) {
            // Simulated latency on the sender's side, like etcd's (blocking) network.
            LockSupport.parkNanos(nextLong(delay.max().toNanos()));
        }
        // Messages are immutable, so the receiver cannot race with the sender: no copy needed.
        to.offer(m);
    }

    /** The inbox of {@code id}, or null while it is disconnected. */
    synchronized BlockingQueue<Message> recvFrom(long id) {
        return disconnected.contains(id) ? null : inboxes.get(id);
    }

    synchronized void drop(long from, long to, double rate) {
        dropRates.put(new Link(from, to), rate);
    }

    synchronized void delay(long from, long to, Duration max, double rate) {
        delays.put(new Link(from, to), new Delay(max, rate));
    }

    synchronized void disconnect(long id) {
        disconnected.add(id);
    }

    synchronized void connect(long id) {
        disconnected.remove(id);
    }

    private synchronized double nextDouble() {
        return rand.nextDouble();
    }

    private synchronized long nextLong(long bound) {
        return rand.nextLong(bound);
    }

    /** One node's port: it sends anywhere and receives only its own messages. */
    final class NodeNetwork {
        private final long id;

        private NodeNetwork(long id) {
            this.id = id;
        }

        void send(Message m) {
            RaftNetwork.this.send(m);
        }

        BlockingQueue<Message> recv() {
            return recvFrom(id);
        }

        void connect() {
            RaftNetwork.this.connect(id);
        }

        void disconnect() {
            RaftNetwork.this.disconnect(id);
        }
    }
}
