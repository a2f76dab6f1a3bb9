package io.latchkey.transport;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("transport")
class SnapshotTransferTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    /** The size; the child heap below is smaller than it, so it cannot be buffered whole. */
    private static final long SNAPSHOT_BYTES = 50L << 20;
    private static final String CHILD_HEAP = "-Xmx48m";
    private static final long CHILD_DEADLINE_SECONDS = 180;

    @TempDir
    Path dir;

    @Test
    void snapshot_isStoredByTheFollower_andDeliveredWithALocalReference() throws Exception {
        try (TestNode leader = TestNode.start(TestNode.config(1), dir.resolve("leader"));
             TestNode follower = TestNode.start(TestNode.config(2), dir.resolve("follower"))) {
            byte[] bytes = "state machine image".repeat(10_000).getBytes(StandardCharsets.UTF_8);
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setTerm(2).setIndex(42).build();
            Snapshot stored = leader.snapshots.store(metadata, new ByteArrayInputStream(bytes));
            leader.transport.setPeer(2, follower.url());
            follower.knows(leader);

            // A message sent before and after the snapshot keeps its place around it.
            leader.transport.send(List.of(
                    TestNode.append(1, 2, 41),
                    snapshotMessage(stored),
                    TestNode.append(1, 2, 43)));

            List<Message> got = Await.next(follower.listener.received, 3, DEADLINE);
            assertThat(got).extracting(Message::getType)
                    .containsExactly(MessageType.MsgApp, MessageType.MsgSnap, MessageType.MsgApp);
            Snapshot delivered = got.get(1).getSnapshot();
            assertThat(delivered.getMetadata()).isEqualTo(metadata);
            assertThat(Files.readAllBytes(follower.snapshots.path(delivered))).isEqualTo(bytes);
            assertThat(Await.next(leader.listener.snapshots, DEADLINE))
                    .isEqualTo(new RecordingListener.SnapshotOutcome(2, true));
        }
    }

    @Test
    void snapshotToADownPeer_isReportedLostAndUnreachable() throws Exception {
        try (TestNode leader = TestNode.start(TestNode.config(1), dir.resolve("leader"))) {
            Snapshot stored = leader.snapshots.store(SnapshotMetadata.newBuilder().setTerm(2).setIndex(42).build(),
                    new ByteArrayInputStream(new byte[1024]));
            leader.transport.setPeer(2, "http://127.0.0.1:" + TestNode.freePort());

            leader.transport.send(List.of(snapshotMessage(stored)));

            assertThat(Await.next(leader.listener.snapshots, DEADLINE))
                    .isEqualTo(new RecordingListener.SnapshotOutcome(2, false));
            assertThat(Await.next(leader.listener.unreachable, DEADLINE)).isEqualTo(2L);
        }
    }

    @Test
    void fiftyMegabyteSnapshot_transfersThroughAHeapSmallerThanIt() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(java.toString(), CHILD_HEAP,
                "-cp", System.getProperty("java.class.path"),
                SnapshotTransferChild.class.getName(), dir.toString(), Long.toString(SNAPSHOT_BYTES))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            assertThat(child.waitFor(CHILD_DEADLINE_SECONDS, TimeUnit.SECONDS))
                    .as("child finished within %d s", CHILD_DEADLINE_SECONDS).isTrue();
        } finally {
            child.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("transferred " + SNAPSHOT_BYTES + " bytes");
        System.out.println("snapshot child: " + output.lines().filter(l -> l.startsWith("transferred"))
                .findFirst().orElse(output));
    }

    private static Message snapshotMessage(Snapshot stored) {
        return Message.newBuilder().setType(MessageType.MsgSnap).setFrom(1).setTo(2).setTerm(2)
                .setSnapshot(stored).build();
    }

}
