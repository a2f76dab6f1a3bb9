package io.latchkey.node.sim;

import io.latchkey.node.CrashPoints;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.raftpb.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a burst of ticks does to a replica that was paused (a GC pause, SIGSTOP) while the rest
 * of the cluster ran on: the ticks it missed arrive at once, before the messages that wait in
 * its sockets. Real replicas, messages delivered by hand, ticks counted.
 */
class TickBurstTest {
    private static final int ELECTION_TICKS = 10;
    /** TickSchedule.burstMax(ELECTION_TICKS): what ReplicaLoop delivers per timer firing at most. */
    private static final int BURST_MAX = ELECTION_TICKS / 2;
    private static final int PAUSE_TICKS = 2 * ELECTION_TICKS;

    private final Map<Long, Replica> replicas = new TreeMap<>();
    private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    /** Messages for the paused replica, waiting in its sockets. */
    private final ArrayDeque<Message> waiting = new ArrayDeque<>();
    private long paused;
    private Replica leader;
    private Replica follower;

    @BeforeEach
    void electLeader() {
        List<Member> members = List.of(member(1), member(2), member(3));
        for (long id = 1; id <= 3; id++) {
            Replica replica = new Replica(new ReplicaConfig(id, 1, ELECTION_TICKS, 1, 1024 * 1024, 64, 0, 10_000, 100, 1000,
                    false, new Random(id)), new SimLogStore(), new HandTransport(inFlight::addAll), new CounterStateMachine((index, payload) -> {
            }), SimCluster.QUIET, CrashPoints.NONE);
            replica.bootstrap(members);
            replicas.put(id, replica);
        }
        for (int tick = 0; tick < 1000 && replicas.get(1L).leaderId() == 0; tick++) {
            replicas.values().forEach(Replica::tick);
            settle();
        }
        leader = replicas.get(replicas.get(1L).leaderId());
        follower = replicas.values().stream().filter(r -> r != leader).findFirst().orElseThrow();
        // A few rounds of heartbeats: everyone follows the leader.
        tickAllButPaused(3);
    }

    @Test
    void pausedFollower_givenAllItsMissedTicksAtOnce_dropsItsLiveLeaderAndCampaigns() {
        long term = leader.term();
        pauseFollowerFor(PAUSE_TICKS);

        for (int i = 0; i < PAUSE_TICKS; i++) {
            follower.tick();
        }
        processReadies(follower);

        // Past its election timeout without having read the heartbeats in its sockets: it left
        // its leader (a pre-candidate); requests through it fail until it hears the leader again.
        assertThat(follower.leaderId()).isZero();
        resume();
        assertThat(follower.leaderId()).isEqualTo(leader.id());
        assertThat(leader.term()).as("pre-vote kept the term").isEqualTo(term);
    }

    @Test
    void pausedFollower_givenItsMissedTicksInBoundedBursts_keepsItsLeader() {
        long term = leader.term();
        pauseFollowerFor(PAUSE_TICKS);

        // As ReplicaLoop does: one burst per timer firing, the waiting messages read in between,
        // while the rest of the cluster goes on ticking.
        for (int owed = PAUSE_TICKS; owed > 0; owed -= BURST_MAX - 1) {
            for (int i = 0; i < BURST_MAX; i++) {
                follower.tick();
            }
            processReadies(follower);
            assertThat(follower.leaderId()).isEqualTo(leader.id());
            resume();
            tickAllButPaused(1);
        }
        assertThat(follower.leaderId()).isEqualTo(leader.id());
        assertThat(leader.term()).isEqualTo(term);
    }

    /** The follower stops while the others run for {@code ticks}; its messages wait. */
    private void pauseFollowerFor(int ticks) {
        paused = follower.id();
        tickAllButPaused(ticks);
    }

    private void resume() {
        paused = 0;
        inFlight.addAll(waiting);
        waiting.clear();
        settle();
    }

    private void tickAllButPaused(int ticks) {
        for (int i = 0; i < ticks; i++) {
            replicas.values().stream().filter(r -> r.id() != paused).forEach(Replica::tick);
            settle();
        }
    }

    private void processReadies(Replica replica) {
        while (replica.hasReady()) {
            replica.processReady();
        }
    }

    /** Handles Readies of running replicas and delivers messages until nothing moves. */
    private void settle() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (Replica replica : replicas.values()) {
                if (replica.id() != paused && replica.hasReady()) {
                    processReadies(replica);
                    moved = true;
                }
            }
            while (!inFlight.isEmpty()) {
                Message m = inFlight.poll();
                if (m.getTo() == paused) {
                    waiting.add(m);
                } else {
                    replicas.get(m.getTo()).receive(m);
                }
                moved = true;
            }
        }
    }

    private static Member member(long id) {
        return Member.newBuilder().setId(id).build();
    }
}
