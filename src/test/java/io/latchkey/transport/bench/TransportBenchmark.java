package io.latchkey.transport.bench;

import com.google.protobuf.ByteString;
import io.latchkey.node.PeerTransport;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.transport.FileSnapshotStreams;
import io.latchkey.transport.Http2PeerTransport;
import io.latchkey.transport.PeerServer;
import io.latchkey.transport.PeerTransportConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Message rate of the HTTP/2 peer transport between two transports over loopback, node 1
 * sending MsgApp messages with one 64-byte entry to node 2. Not a test: run it by hand.
 *
 * <p>The sender keeps at most {@code window} messages unacknowledged by node 2's listener, so
 * the queue never overflows and nothing is dropped. Window 1 shows the cost of one round trip
 * (each request carries one message); larger windows show what batching per flush gives.
 *
 * <pre>
 * ./mvnw -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp \
 *   && $JAVA_HOME/bin/java -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *      io.latchkey.transport.bench.TransportBenchmark [warmupSeconds=3] [measureSeconds=10] [windows=1,16,256,2048]
 * </pre>
 */
public final class TransportBenchmark {
    private static final String WINDOWS_DEFAULT = "1,16,256,2048";
    private static final int TAIL_WAIT_SECONDS = 15;
    private static final String SECRET = "benchmark-secret-0123456789";

    public static void main(String[] args) throws Exception {
        int warmupSeconds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int measureSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int[] windows = java.util.Arrays.stream((args.length > 2 ? args[2] : WINDOWS_DEFAULT).split(","))
                .mapToInt(Integer::parseInt).toArray();
        Path snapshots = Files.createTempDirectory("latchkey-bench");
        Counting receiver = new Counting();
        PeerTransportConfig receiverConfig = config(2);
        PeerTransportConfig senderConfig = config(1);
        try (Http2PeerTransport follower = new Http2PeerTransport(receiverConfig, new FileSnapshotStreams(snapshots));
             PeerServer listener = PeerServer.start(receiverConfig, follower.endpoint());
             Http2PeerTransport leader = new Http2PeerTransport(senderConfig, new FileSnapshotStreams(snapshots))) {
            follower.start(receiver);
            leader.start(new Counting());
            leader.setPeer(2, "http://127.0.0.1:" + listener.port());
            // The follower admits members only; it never answers here, so the leader needs no listener.
            follower.setPeer(1, "http://127.0.0.1:1");
            System.out.printf("%-8s %14s %16s%n", "window", "messages/s", "dropped (total)");
            for (int window : windows) {
                run(leader, receiver, window, warmupSeconds);
                long messages = run(leader, receiver, window, measureSeconds);
                System.out.printf("%-8d %14.0f %16d%n", window, messages / (double) measureSeconds,
                        leader.droppedMessages());
            }
        }
    }

    /** Sends for {@code seconds} keeping {@code window} messages in flight; returns messages delivered. */
    private static long run(Http2PeerTransport leader, Counting receiver,
                            int window, int seconds) throws InterruptedException {
        Semaphore inFlight = new Semaphore(window);
        receiver.inFlight = inFlight;
        long deliveredBefore = receiver.received.sum();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long index = 0;
        while (System.nanoTime() < end) {
            if (inFlight.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                leader.send(List.of(append(index++)));
            }
        }
        long delivered = receiver.received.sum() - deliveredBefore;
        // Let the tail arrive so the next run starts with an empty pipe; a dropped message never
        // returns its permit, hence the bound (drops show in the last column).
        if (!inFlight.tryAcquire(window, TAIL_WAIT_SECONDS, TimeUnit.SECONDS)) {
            System.out.printf("window %d: tail not delivered within %d s%n", window, TAIL_WAIT_SECONDS);
        }
        return delivered;
    }

    private static PeerTransportConfig config(long id) {
        return PeerTransportConfig.defaults(id, "bench", SECRET).withListen("127.0.0.1", 0);
    }

    private static Message append(long index) {
        return Message.newBuilder().setType(MessageType.MsgApp).setFrom(1).setTo(2).setTerm(1)
                .setLogTerm(1).setIndex(index).setCommit(index)
                .addEntries(Entry.newBuilder().setTerm(1).setIndex(index + 1)
                        .setData(ByteString.copyFrom(new byte[64])))
                .build();
    }

    private static final class Counting implements PeerTransport.Listener {
        final LongAdder received = new LongAdder();
        volatile Semaphore inFlight;

        @Override
        public void received(Message message) {
            received.increment();
            Semaphore window = inFlight;
            if (window != null) {
                window.release();
            }
        }

        @Override
        public void unreachable(long peerId) {
        }

        @Override
        public void snapshotSent(long peerId, boolean delivered) {
        }
    }
}
