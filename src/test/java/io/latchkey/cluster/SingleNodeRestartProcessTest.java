package io.latchkey.cluster;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's node, a process started with no peers, no node id and no secret, stopped and
 * started again on the same data directory: after SIGTERM and after SIGKILL every write it
 * acknowledged is there, and it takes writes again.
 */
@Tag("cluster")
class SingleNodeRestartProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String TEXT = "text/plain";
    private static final String JSON = "application/json";

    @Test
    void sigterm_thenStart_keepsEveryWrite() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode();
        for (int i = 0; i < 20; i++) {
            assertThat(node.callRetrying("PUT", "/v1/config/app/k" + i, "v" + i, TEXT).status()).isEqualTo(200);
        }
        ProcessCluster.Reply lock = node.callRetrying("POST", "/v1/locks/jobs/nightly", "{\"ttlSeconds\":600,\"owner\":\"w1\"}", JSON);
        assertThat(lock.status()).as(lock.body()).isEqualTo(200);

        node.stop();
        assertThat(node.process.exitValue()).as("exit status after SIGTERM").isIn(0, 143);
        cluster.startAlone(node, WAIT);

        for (int i = 0; i < 20; i++) {
            assertThat(node.callRetrying("GET", "/v1/config/app/k" + i, null, null).configValue()).isEqualTo("v" + i);
        }
        assertThat(node.callRetrying("GET", "/v1/locks/jobs/nightly", null, null).body())
                .contains("\"owner\":\"w1\"").contains("\"token\":" + token(lock.body()));
        assertThat(node.callRetrying("PUT", "/v1/config/app/after", "x", TEXT).status()).isEqualTo(200);
    }

    @Test
    void sigkillUnderWrites_thenStart_keepsEveryAcknowledgedWrite() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode();
        ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int i = writer; writing.get(); i += 4) {
                    if (node.call("PUT", "/v1/config/crash/k" + i, "v" + i, TEXT).status() == 200) {
                        acknowledged.add(i);
                    }
                }
            }));
        }
        cluster.await(WAIT, "100 acknowledged writes", () -> acknowledged.size() >= 100);
        node.kill();
        writing.set(false);
        for (Thread t : writers) {
            t.join(Duration.ofSeconds(30));
        }

        cluster.startAlone(node, WAIT);
        List<Integer> lost = acknowledged.stream()
                .filter(i -> !("v" + i).equals(node.callRetrying("GET", "/v1/config/crash/k" + i, null, null).configValue()))
                .toList();
        assertThat(lost).as("acknowledged writes missing after kill -9 and restart (of %d)", acknowledged.size()).isEmpty();
        assertThat(node.callRetrying("PUT", "/v1/config/crash/after", "x", TEXT).status()).isEqualTo(200);
    }

    private static long token(String json) {
        Matcher m = Pattern.compile("\"token\":(\\d+)").matcher(json);
        assertThat(m.find()).as("token in " + json).isTrue();
        return Long.parseLong(m.group(1));
    }

    private ProcessCluster.NodeProcess startReadmeNode() throws Exception {
        cluster = ProcessCluster.alone(root, List.of());
        ProcessCluster.NodeProcess node = cluster.nodes.getFirst();
        cluster.startAlone(node, WAIT);
        return node;
    }
}
