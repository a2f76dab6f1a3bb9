package io.latchkey.cluster;

import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.LockHeld;
import io.latchkey.client.LockInfo;
import io.latchkey.client.Requests;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's node, a process started with no peers, no node id and no secret, stopped and
 * started again on the same data directory: after SIGTERM and after SIGKILL every write it
 * acknowledged is there, and it takes writes again.
 */
@Tag("cluster")
class SingleNodeRestartProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void sigterm_thenStart_keepsEveryWrite() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode();
        for (int i = 0; i < 20; i++) {
            node.client().put("app/k" + i, "v" + i);
        }
        LockHeld lock = node.client().acquireLock("jobs/nightly", new Requests.Acquire(null, 600L, 0L, "w1"));

        node.stop();
        assertThat(node.process.exitValue()).as("exit status after SIGTERM").isIn(0, 143);
        cluster.startAlone(node, WAIT);

        for (int i = 0; i < 20; i++) {
            assertThat(node.client().get("app/k" + i).map(KeyValue::text)).hasValue("v" + i);
        }
        LockInfo after = node.client().lockInfo("jobs/nightly").orElseThrow();
        assertThat(after.owner()).isEqualTo("w1");
        assertThat(after.token()).isEqualTo(lock.token());
        node.client().put("app/after", "x");
    }

    @Test
    void sigkillUnderWrites_thenStart_keepsEveryAcknowledgedWrite() throws Exception {
        ProcessCluster.NodeProcess node = startReadmeNode();
        ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
        // One attempt per write: a write counts as acknowledged only when its own answer said so.
        LatchkeyClient once = node.clientBuilder().retryTimeout(Duration.ZERO).requestTimeout(Duration.ofSeconds(20)).build();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int i = writer; writing.get(); i += 4) {
                    try {
                        once.put("crash/k" + i, "v" + i);
                        acknowledged.add(i);
                    } catch (LatchkeyException e) {
                        // Not acknowledged (refused, or the node died under it): nothing to check.
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
        once.close();

        cluster.startAlone(node, WAIT);
        List<Integer> lost = acknowledged.stream()
                .filter(i -> !node.client().get("crash/k" + i).map(KeyValue::text).equals(java.util.Optional.of("v" + i)))
                .toList();
        assertThat(lost).as("acknowledged writes missing after kill -9 and restart (of %d)", acknowledged.size()).isEmpty();
        node.client().put("crash/after", "x");
    }

    private ProcessCluster.NodeProcess startReadmeNode() throws Exception {
        cluster = ProcessCluster.alone(root, List.of());
        ProcessCluster.NodeProcess node = cluster.nodes.getFirst();
        cluster.startAlone(node, WAIT);
        return node;
    }
}
