package io.latchkey.node.sim;

import io.latchkey.node.CrashPoints;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.raftpb.Message;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas of one cluster driven step by step on the test's thread, with a lossless network
 * that delivers only when told ({@link #settle}): for tests of what one Ready does.
 */
final class ReplicaGroup {
    private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    /** Every message sent, in order; tests clear it to count what one step sends. */
    final List<Message> sent = new ArrayList<>();
    private final Map<Long, Replica> replicas = new TreeMap<>();
    final Map<Long, CounterStateMachine> stateMachines = new TreeMap<>();
    private final HandTransport transport;
    /** With async storage writes: per replica, append work taken but not yet made durable while its writes are held. */
    private final Map<Long, ArrayDeque<List<Message>>> heldWrites = new TreeMap<>();

    /** Bootstraps voters 1..size with {@link #config}; call {@link #electLeader} next. */
    ReplicaGroup(int size) {
        this(size, id -> config(id, ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT));
    }

    /** Bootstraps voters 1..size with the config {@code configFor} gives each id. */
    ReplicaGroup(int size, LongFunction<ReplicaConfig> configFor) {
        List<Member> members = new ArrayList<>();
        for (long id = 1; id <= size; id++) {
            members.add(Member.newBuilder().setId(id).build());
        }
        transport = new HandTransport(messages -> {
            sent.addAll(messages);
            inFlight.addAll(messages);
        });
        for (long id = 1; id <= size; id++) {
            start(id, configFor.apply(id)).bootstrap(members);
        }
    }

    /**
     * Starts member {@code id} on empty storage without bootstrapping it: a member the cluster
     * added through a conf change, which learns everything from the leader.
     */
    Replica start(long id, ReplicaConfig config) {
        CounterStateMachine stateMachine = new CounterStateMachine((index, payload) -> {
        });
        Replica replica = new Replica(config, new SimLogStore(), transport, stateMachine, SimCluster.QUIET, CrashPoints.NONE);
        replicas.put(id, replica);
        stateMachines.put(id, stateMachine);
        return replica;
    }

    /** Small sizes, synchronous storage writes, a seeded random per id. */
    static ReplicaConfig config(long id, long idempotencyTtlMillis) {
        return new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0, 10_000, 100, 1000, idempotencyTtlMillis, false,
                new Random(id));
    }

    Replica replica(long id) {
        return replicas.get(id);
    }

    /** Ticks every replica once and settles. */
    void tick() {
        replicas.values().forEach(Replica::tick);
        settle();
    }

    /** Ticks every replica until one leads and the rest follow it; returns the leader, settled. */
    Replica electLeader() {
        // Votes are ignored for an election timeout after a start, so this takes a while.
        for (int tick = 0; tick < 1000 && replicas.get(1L).leaderId() == 0; tick++) {
            replicas.values().forEach(Replica::tick);
            settle();
        }
        Replica leader = replicas.get(replicas.get(1L).leaderId());
        assertThat(leader).as("a leader").isNotNull();
        settle();
        return leader;
    }

    /**
     * With async storage writes, replica {@code id}'s append work waits (a stalled disk) until
     * {@link #releaseWrite} makes it durable one batch at a time.
     */
    void holdWrites(long id) {
        heldWrites.put(id, new ArrayDeque<>());
    }

    /** Makes the oldest held batch of replica {@code id} durable; false if none was held. */
    boolean releaseWrite(long id) {
        List<Message> work = heldWrites.get(id).poll();
        if (work == null) {
            return false;
        }
        Replica replica = replicas.get(id);
        replica.appendDurable(replica.persist(work));
        return true;
    }

    /**
     * Handles Readies, makes append work durable at once (async storage writes) unless held,
     * and delivers messages until nothing moves.
     */
    void settle() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (Map.Entry<Long, Replica> entry : replicas.entrySet()) {
                Replica replica = entry.getValue();
                while (replica.hasReady()) {
                    replica.processReady();
                    moved = true;
                }
                if (replica.hasAppendWork()) {
                    List<Message> work = replica.takeAppendWork();
                    ArrayDeque<List<Message>> held = heldWrites.get(entry.getKey());
                    if (held != null) {
                        held.add(work);
                    } else {
                        replica.appendDurable(replica.persist(work));
                    }
                    moved = true;
                }
            }
            while (!inFlight.isEmpty()) {
                Message m = inFlight.poll();
                Replica to = replicas.get(m.getTo());
                if (to != null) {
                    to.receive(m);
                }
                moved = true;
            }
        }
    }
}
