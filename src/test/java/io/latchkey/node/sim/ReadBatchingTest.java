package io.latchkey.node.sim;

import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Read barriers asked for between two Readies share one ReadIndex round (one heartbeat per follower). */
class ReadBatchingTest {
    private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    private final List<Message> sent = new ArrayList<>();
    private final Map<Long, Replica> replicas = new TreeMap<>();

    @Test
    void readsBetweenTwoReadiesShareOneRoundAndAllSeeItsIndex() {
        List<Member> members = List.of(member(1), member(2), member(3));
        for (long id = 1; id <= 3; id++) {
            Replica replica = new Replica(new ReplicaConfig(id, 1, 10, 1, 1024 * 1024, 64, 0, 10_000, 100, 1000,
                    false, new Random(id)), new SimLogStore(), new HandTransport(messages -> {
                sent.addAll(messages);
                inFlight.addAll(messages);
            }), new CounterStateMachine((index, payload) -> {
            }), SimCluster.QUIET, CrashPoints.NONE);
            replica.bootstrap(members);
            replicas.put(id, replica);
        }
        // Ticks until an election succeeds (votes are ignored for an election timeout after a start).
        for (int tick = 0; tick < 1000 && replicas.get(1L).leaderId() == 0; tick++) {
            replicas.values().forEach(Replica::tick);
            settle();
        }
        Replica leader = replicas.get(replicas.get(1L).leaderId());
        assertThat(leader).isNotNull();
        settle();

        sent.clear();
        List<CompletableFuture<Long>> reads = List.of(leader.readBarrier(ReadOnlyOption.ReadOnlySafe),
                leader.readBarrier(ReadOnlyOption.ReadOnlySafe), leader.readBarrier(ReadOnlyOption.ReadOnlySafe));
        settle();

        assertThat(reads).allSatisfy(read -> assertThat(read).isCompletedWithValue(leader.appliedIndex()));
        long readRoundHeartbeats = sent.stream()
                .filter(m -> m.getType() == MessageType.MsgHeartbeat && !m.getContext().isEmpty()).count();
        assertThat(readRoundHeartbeats).isEqualTo(2);
    }

    /** Handles Readies and delivers messages until nothing moves. */
    private void settle() {
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

    private static Member member(long id) {
        return Member.newBuilder().setId(id).build();
    }
}
