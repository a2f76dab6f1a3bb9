package io.latchkey.cluster;

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
    private static final Pattern HANDOVER = Pattern.compile("handing leadership over to ([0-9a-f]+)");

    @Test
    void aLeaderStoppedWithSigterm_handsLeadershipToAFollowerFirst() throws Exception {
        cluster = new ProcessCluster(root, 3);
        cluster.startAll();
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(WAIT);
        ProcessCluster.Reply written = leader.callRetrying("PUT", "/v1/config/stop/k", "v", "text/plain");
        assertThat(written.status()).as(written.body()).isEqualTo(200);

        leader.stop();
        String log = Files.readString(leader.log);
        Matcher handover = HANDOVER.matcher(log);
        assertThat(handover.find()).as("the stopping leader names its successor\n%s", cluster.logTails()).isTrue();
        long successor = Long.parseLong(handover.group(1), 16);
        assertThat(log).doesNotContain("did not take over leadership");

        ProcessCluster.NodeProcess next = cluster.awaitLeader(WAIT);
        assertThat(next.id).isEqualTo(successor);
        assertThat(Files.readString(next.log))
                .contains("received MsgTimeoutNow from " + Long.toHexString(leader.id) + " and starts an election");
        assertThat(next.callRetrying("GET", "/v1/config/stop/k", null, null).configValue()).isEqualTo("v");
    }
}
