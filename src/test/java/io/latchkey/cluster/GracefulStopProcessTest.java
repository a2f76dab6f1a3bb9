package io.latchkey.cluster;

import io.latchkey.client.KeyValue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM to the leader of a 3-process cluster: before it stops it hands leadership to a
 * follower (Raft's leadership transfer), which takes over on the leader's request instead of
 * after an election timeout, and the cluster keeps every write.
 */
@Tag("cluster")
class GracefulStopProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(150);
    /** The Raft core's own lines (on stderr, unlike the JUL logging a shutting-down JVM may lose). */
    private static final Pattern HANDOVER = Pattern.compile("starts to transfer leadership to ([0-9a-f]+)");

    @Test
    void aLeaderStoppedWithSigterm_handsLeadershipToAFollowerFirst() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        leader.client().put("stop/k", "v");

        leader.stop();
        Matcher handover = HANDOVER.matcher(Files.readString(leader.log));
        assertThat(handover.find()).as("the stopping leader names its successor\n%s", cluster.logTails()).isTrue();
        long successor = Long.parseLong(handover.group(1), 16);

        // The successor campaigns on the leader's request and wins that very campaign: its term
        // is the one it started, so no election timeout passed (the stopping leader stayed up
        // until its vote had reached the successor).
        ProcessCluster.NodeProcess next = cluster.awaitLeader(WAIT);
        assertThat(next.id).isEqualTo(successor);
        Matcher campaign = Pattern.compile("\\[term (\\d+)\\] received MsgTimeoutNow from " + Long.toHexString(leader.id)
                + " and starts an election").matcher(Files.readString(next.log));
        assertThat(campaign.find()).as(cluster.logTails()).isTrue();
        long campaignTerm = Long.parseLong(campaign.group(1)) + 1;
        assertThat(Files.readString(next.log)).contains(Long.toHexString(next.id) + " became leader at term " + campaignTerm);
        assertThat(next.client().get("stop/k").map(KeyValue::text)).hasValue("v");
    }
}
