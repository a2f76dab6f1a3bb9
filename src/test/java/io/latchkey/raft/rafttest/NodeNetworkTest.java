package io.latchkey.raft.rafttest;

import io.latchkey.raft.raftpb.Message;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;

import static org.assertj.core.api.Assertions.assertThat;

/** The rafttest network itself (etcd-io/raft rafttest/network_test.go). */
class NodeNetworkTest {

    @Test
    void dropRateDropsAboutThatShareOfMessages() {
        int sent = 1000;
        double dropRate = 0.1;
        RaftNetwork nt = new RaftNetwork(1, 2);
        nt.drop(1, 2, dropRate);
        for (int i = 0; i < sent; i++) {
            nt.send(Message.newBuilder().setFrom(1).setTo(2).build());
        }
        BlockingQueue<Message> inbox = nt.recvFrom(2);
        int received = 0;
        while (inbox.poll() != null) {
            received++;
        }
        int dropped = sent - received;
        assertThat(dropped).isBetween((int) ((dropRate - 0.1) * sent), (int) ((dropRate + 0.1) * sent));
    }

    @Test
    void delayedLinkSlowsSendingDown() {
        int sent = 1000;
        Duration delay = Duration.ofMillis(1);
        double delayRate = 0.1;
        RaftNetwork nt = new RaftNetwork(1, 2);
        nt.delay(1, 2, delay, delayRate);
        long total = 0;
        for (int i = 0; i < sent; i++) {
            long start = System.nanoTime();
            nt.send(Message.newBuilder().setFrom(1).setTo(2).build());
            total += System.nanoTime() - start;
        }
        // About a tenth of the sends wait half the maximum delay on average.
        long expectedAtLeast = (long) (sent * delayRate / 2) * delay.toNanos();
        assertThat(total).isGreaterThanOrEqualTo(expectedAtLeast);
    }
}
