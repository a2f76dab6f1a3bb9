package io.latchkey.cluster;

import io.latchkey.client.AddedMember;
import io.latchkey.client.ClusterInfo;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Member;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Separate JVMs talking HTTP/2, each on its own embedded PostgreSQL: elections, failover,
 * restart, and membership changes through the API.
 */
@Tag("cluster")
class ClusterProcessTest extends ProcessClusterTest {
    private static final Duration ELECTION_WAIT = Duration.ofSeconds(90);

    @Test
    void threeProcesses_electOneLeader_andSurviveItsCrash() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess first = cluster.awaitLeader(ELECTION_WAIT);
        ClusterInfo view = cluster.nodes.get(0).client().cluster();
        assertThat(view.members()).extracting(Member::role).containsOnly("voter");
        assertThat(view.members()).extracting(Member::peerUrl).contains(cluster.nodes.get(2).peerUrl());

        // SIGKILL the leader: the other two elect a new one within a few election timeouts.
        first.kill();
        ProcessCluster.NodeProcess second = cluster.awaitLeader(ELECTION_WAIT);
        assertThat(second.id).isNotEqualTo(first.id);

        // The killed node comes back on its data and follows the new leader.
        cluster.startStatic(first);
        cluster.await(ELECTION_WAIT, "the restarted node to follow " + second.id, () -> first.leader() == second.id);

        // An operator hands leadership back to it (etcdctl move-leader); accepted, then done.
        first.client().transferLeadership(Long.toHexString(first.id));
        cluster.await(ELECTION_WAIT, "every node to follow " + first.id,
                () -> cluster.nodes.stream().allMatch(n -> n.leader() == first.id));
    }

    @Test
    void aFourthProcess_joinsAsLearner_isPromoted_andRemoved() throws Exception {
        cluster = new ProcessCluster(root, 4);
        // Only the first three bootstrap the cluster; the fourth joins through the API.
        for (ProcessCluster.NodeProcess n : cluster.nodes.subList(0, 3)) {
            n.start(List.of("-Dlatchkey.node-id=" + Long.toHexString(n.id), "-Dlatchkey.cluster.peers=" + initialPeers()));
        }
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(ELECTION_WAIT);
        ProcessCluster.NodeProcess joiner = cluster.nodes.get(3);

        // The client retries an add whose outcome is unknown (504): the leader answers a repeated
        // add of the same URLs with the learner the first attempt added, so exactly one is added.
        AddedMember added = leader.client().addMember("n4", joiner.peerUrl(), joiner.clientUrl());
        String id = added.id();

        joiner.start(List.of("-Dlatchkey.node-id=" + id, "-Dlatchkey.cluster.id=" + added.clusterId()));
        cluster.await(ELECTION_WAIT, "the learner to know the leader", () -> joiner.leader() == leader.id);
        assertThat(leader.client().cluster().members()).filteredOn(m -> m.id().equals(id))
                .singleElement().satisfies(m -> {
                    assertThat(m.name()).isEqualTo("n4");
                    assertThat(m.role()).isEqualTo("learner");
                });
        assertThat(leader.client().cluster().members()).filteredOn(m -> m.peerUrl().equals(joiner.peerUrl()))
                .as("members at the joiner's peer URL").extracting(Member::id).containsExactly(id);

        // Refused (409) while the learner catches up; asked again until promoted.
        cluster.await(ELECTION_WAIT, "the learner to be promoted", () -> {
            try {
                leader.client().promoteMember(id);
                return true;
            } catch (LatchkeyException e) {
                return false;
            }
        });
        assertThat(leader.client().cluster().members()).extracting(Member::role).containsOnly("voter");

        // Another change may still be unapplied (a member publishing its URLs): 503, retried by the client.
        leader.client().removeMember(id);
        cluster.await(Duration.ofSeconds(30), "the removal to reach node 1", () -> {
            ClusterInfo view = cluster.nodes.get(0).cluster();
            return view != null && view.members().stream().noneMatch(m -> m.id().equals(id));
        });
    }

    private String initialPeers() {
        StringBuilder peers = new StringBuilder();
        for (ProcessCluster.NodeProcess p : cluster.nodes.subList(0, 3)) {
            peers.append(peers.isEmpty() ? "" : ",").append(Long.toHexString(p.id)).append('=').append(p.peerUrl());
        }
        return peers.toString();
    }
}
