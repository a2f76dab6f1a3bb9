package io.latchkey.transport;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

/**
 * Sends one snapshot between two transports inside this JVM and checks it arrived intact.
 * Run in a child JVM with a heap smaller than the snapshot, so that success proves neither
 * side held it in memory. Arguments: working directory, snapshot size in bytes.
 * Prints one line starting with "transferred" and exits 0 on success.
 */
public final class SnapshotTransferChild {
    private static final Duration TRANSFER_DEADLINE = Duration.ofSeconds(120);

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long snapshotBytes = Long.parseLong(args[1]);
        try (TestNode leader = TestNode.start(TestNode.config(1), dir.resolve("leader"));
             TestNode follower = TestNode.start(TestNode.config(2), dir.resolve("follower"))) {
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setTerm(3).setIndex(1_000)
                    .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)).build();
            CheckedInputStream generated = new CheckedInputStream(new PatternStream(snapshotBytes), new CRC32());
            Snapshot stored = leader.snapshots.store(metadata, generated);
            long sentCrc = generated.getChecksum().getValue();

            leader.transport.setPeer(2, follower.url());
            follower.knows(leader);
            leader.transport.send(List.of(Message.newBuilder().setType(MessageType.MsgSnap)
                    .setFrom(1).setTo(2).setTerm(3).setSnapshot(stored).build()));

            Message delivered = Await.next(follower.listener.received, TRANSFER_DEADLINE);
            RecordingListener.SnapshotOutcome outcome = Await.next(leader.listener.snapshots, TRANSFER_DEADLINE);
            Path file = follower.snapshots.path(delivered.getSnapshot());
            long receivedCrc = crc(file);
            if (!outcome.delivered() || Files.size(file) != snapshotBytes || receivedCrc != sentCrc
                    || !delivered.getSnapshot().getMetadata().equals(metadata)) {
                System.out.printf("mismatch: outcome=%s size=%d crc %x vs %x%n",
                        outcome, Files.size(file), receivedCrc, sentCrc);
                System.exit(1);
            }
            System.out.printf("transferred %d bytes, crc %x, heap peak %d MiB of max %d MiB%n",
                    snapshotBytes, receivedCrc, heapPeakBytes() >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
        }
        System.exit(0);
    }

    private static long crc(Path file) throws Exception {
        try (CheckedInputStream in = new CheckedInputStream(Files.newInputStream(file), new CRC32())) {
            in.transferTo(OutputStreamSink.INSTANCE);
            return in.getChecksum().getValue();
        }
    }

    private static long heapPeakBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    /** Discards bytes; only their checksum matters. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
        }
    }

    /** {@code size} bytes of a non-repeating-per-block pattern, generated without holding them. */
    private static final class PatternStream extends InputStream {
        private final long size;
        private long position;

        PatternStream(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            return position < size ? pattern(position++) : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(length, size - position);
            for (int i = 0; i < n; i++) {
                buffer[offset + i] = (byte) pattern(position++);
            }
            return n;
        }

        private static int pattern(long at) {
            long mixed = at * 0x9E3779B97F4A7C15L;
            return (int) (mixed >>> 56) & 0xff;
        }
    }
}
