package io.latchkey.node.sim;

import io.latchkey.node.CrashPoints;
import io.latchkey.node.PeerTransport;
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

/**
 * Three replicas in one thread with a lossless network: {@link #settle()} handles Readies and
 * delivers messages until nothing moves, so a test sees each step's whole effect.
 */
final class LockstepCluster {
    private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    /** Every message sent, for tests that count rounds. */
    final List<Message> sent = new ArrayList<>();
    final Map<Long, Replica> replicas = new TreeMap<>();
    final Map<Long, CounterStateMachine> stateMachines = new TreeMap<>();

    /** Bootstraps replicas 1..3 with the config {@code configFor} gives each id, and elects a leader. */
    LockstepCluster(LongFunction<ReplicaConfig> configFor) {
        List<Member> members = List.of(member(1), member(2), member(3));
        for (long id = 1; id <= 3; id++) {
            CounterStateMachine stateMachine = new CounterStateMachine((index, payload) -> {
            });
            Replica replica = new Replica(configFor.apply(id), new SimLogStore(), transport(), stateMachine,
                    SimCluster.QUIET, CrashPoints.NONE);
            replica.bootstrap(members);
            replicas.put(id, replica);
            stateMachines.put(id, stateMachine);
        }
        // Ticks until an election succeeds (votes are ignored for an election timeout after a start).
        for (int tick = 0; tick < 1000 && replicas.get(1L).leaderId() == 0; tick++) {
            replicas.values().forEach(Replica::tick);
            settle();
        }
        settle();
    }

    static ReplicaConfig config(long id, long idempotencyTtlMillis) {
        return new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0, 10_000, 100, 1000, idempotencyTtlMillis, false,
                new Random(id));
    }

    Replica leader() {
        Replica leader = replicas.get(replicas.get(1L).leaderId());
        if (leader == null) {
            throw new IllegalStateException("no leader was elected");
        }
        return leader;
    }

    /** Handles Readies and delivers messages until nothing moves. */
    void settle() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (Replica replica : replicas.values()) {
                while (replica.hasReady()) {
                    replica.processReady();
                    moved = true;
                }
            }
            while (!inFlight.isEmpty()) {
                Message m = inFlight.poll();
                replicas.get(m.getTo()).receive(m);
                moved = true;
            }
        }
    }

    private PeerTransport transport() {
        return new PeerTransport() {
            @Override
            public void start(Listener listener) {
            }

            @Override
            public void send(List<Message> messages) {
                sent.addAll(messages);
                inFlight.addAll(messages);
            }

            @Override
            public void setPeer(long id, String peerUrl) {
            }

            @Override
            public void removePeer(long id) {
            }

            @Override
            public void close() {
            }
        };
    }

    private static Member member(long id) {
        return Member.newBuilder().setId(id).build();
    }
}
