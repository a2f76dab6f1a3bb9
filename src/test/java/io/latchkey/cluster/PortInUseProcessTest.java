package io.latchkey.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node that cannot bind its port exits with a failure status. It used to run on without any
 * listener: a member that campaigned but that neither its leader nor a client could reach,
 * which is how a restarted member once stayed cut off from its leader.
 */
@Tag("cluster")
class PortInUseProcessTest extends ProcessClusterTest {
    @Test
    void aNodeWhoseClientPortIsTaken_exitsWithFailure() throws Exception {
        cluster = ProcessCluster.alone(root, List.of());
        ProcessCluster.NodeProcess node = cluster.nodes.get(0);
        try (ServerSocket taken = new ServerSocket(node.clientPort, 1, InetAddress.getLoopbackAddress())) {
            node.start(List.of());
            assertThat(node.process.waitFor(120, TimeUnit.SECONDS)).as("the node to exit\n%s", cluster.logTails()).isTrue();
        }
        assertThat(node.process.exitValue()).as(cluster.logTails()).isEqualTo(1);
        assertThat(Files.readString(node.log)).contains("listeners did not start");
    }
}
