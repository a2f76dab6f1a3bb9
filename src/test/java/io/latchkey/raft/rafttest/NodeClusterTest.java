package io.latchkey.raft.rafttest;

import io.latchkey.raft.Peer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Five real {@link io.latchkey.raft.Node}s on the in-memory network, with ticking clocks,
 * random message delays, stops, restarts and pauses (etcd-io/raft rafttest/node_test.go).
 */
class NodeClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] DATA = "somedata".getBytes();

    private final List<ClusterNode> nodes = new ArrayList<>();

    private void startCluster() {
        List<Peer> peers = List.of(new Peer(1), new Peer(2), new Peer(3), new Peer(4), new Peer(5));
        RaftNetwork nt = new RaftNetwork(1, 2, 3, 4, 5);
        for (long i = 1; i <= 5; i++) {
            nodes.add(ClusterNode.start(i, peers, nt.nodeNetwork(i)));
        }
    }

    @AfterEach
    void stopCluster() throws InterruptedException {
        for (ClusterNode n : nodes) {
            n.stop();
        }
    }

    @Test
    void clusterElectsALeaderAndCommitsProposals() throws Exception {
        startCluster();
        waitLeader();
        for (int i = 0; i < 100; i++) {
            nodes.get(0).propose(DATA);
        }
        assertCommitsConverge(100);
    }

    /** Two followers stop and come back from their storage while proposals keep coming. */
    @Test
    void stoppedNodesCatchUpAfterRestart() throws Exception {
        startCluster();
        int l = waitLeader();
        int k1 = (l + 1) % 5;
        int k2 = (l + 2) % 5;
        proposeTo(l, 30);
        nodes.get(k1).stop();
        proposeTo((l + 3) % 5, 30);
        nodes.get(k2).stop();
        proposeTo((l + 4) % 5, 30);
        nodes.get(k2).restart();
        proposeTo(l, 30);
        nodes.get(k1).restart();
        assertCommitsConverge(120);
    }

    /** Paused nodes, which only queue what they receive, catch up once resumed. */
    @Test
    void pausedNodesCatchUpAfterResuming() throws Exception {
        startCluster();
        waitLeader();
        proposeTo(0, 30);
        nodes.get(1).pause();
        proposeTo(0, 30);
        nodes.get(2).pause();
        proposeTo(0, 30);
        nodes.get(2).resume();
        proposeTo(0, 30);
        nodes.get(1).resume();
        assertCommitsConverge(120);
    }

    private void proposeTo(int index, int count) {
        for (int i = 0; i < count; i++) {
            nodes.get(index).propose(DATA);
        }
    }

    /** Waits until all nodes that know a leader agree on one, and returns that leader's position. */
    private int waitLeader() throws TimeoutException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Set<Long> leaders = new HashSet<>();
            int leaderIndex = -1;
            for (int i = 0; i < nodes.size(); i++) {
                long lead = nodes.get(i).status().basic().softState().lead();
                if (lead != 0) {
                    leaders.add(lead);
                    if (nodes.get(i).id == lead) {
                        leaderIndex = i;
                    }
                }
            }
            if (leaders.size() == 1 && leaderIndex != -1) {
                return leaderIndex;
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        return fail("no single leader within " + WAIT);
    }

    /** Waits until every node has the same commit index, beyond {@code target}. */
    private void assertCommitsConverge(long target) throws TimeoutException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Set<Long> commits = new HashSet<>();
        while (System.nanoTime() - deadline < 0) {
            commits.clear();
            int good = 0;
            for (ClusterNode n : nodes) {
                long commit = n.hardState().getCommit();
                commits.add(commit);
                if (commit > target) {
                    good++;
                }
            }
            if (commits.size() == 1 && good == nodes.size()) {
                return;
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        assertThat(commits).as("commit indexes of all nodes, all beyond %d", target).hasSize(1);
        fail("commit indexes " + commits + " did not all pass " + target);
    }
}
