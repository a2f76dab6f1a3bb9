package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.SnapshotImage;
import io.latchkey.node.StateMachine;
import io.latchkey.node.proto.Member;
import io.latchkey.node.sim.HandTransport;
import io.latchkey.raft.DefaultLogger;
import io.latchkey.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.SplittableRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica on the PostgreSQL store: its state survives a restart through a snapshot too big
 * to travel inline (the store keeps it in chunks and the replica reads them back); its loop
 * goes on while a snapshot is written.
 */
@Tag("storage")
class ReplicaOnPostgresTest {
    /** Over the store's inline limit, so the snapshot must be read from its chunks. */
    private static final int BALLAST_BYTES = 3 * 1024 * 1024;

    /** Counts applied commands; its snapshot carries megabytes of ballast. */
    static class BallastStateMachine implements StateMachine {
        volatile long applied;

        @Override
        public ByteString apply(long index, ByteString command) {
            applied++;
            return ByteString.EMPTY;
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            write(out, applied);
        }

        static void write(OutputStream out, long applied) throws IOException {
            DataOutputStream data = new DataOutputStream(out);
            data.writeLong(applied);
            data.write(new byte[BALLAST_BYTES]);
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            DataInputStream data = new DataInputStream(in);
            applied = data.readLong();
            data.skipNBytes(BALLAST_BYTES);
        }
    }

    private static final PeerTransport NO_PEERS = HandTransport.silent();

    @Test
    void stateBeyondTheInlineSnapshotLimit_survivesARestart() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        NodeIdentity identity = new NodeIdentity(1, 7);
        ReplicaConfig replicaConfig = new ReplicaConfig(1, 7, 10, 1, 1024 * 1024, 64, 0, 5, 1, 100, ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT, false, new SplittableRandom(1));

        try (PostgresLogStore store = PostgresLogStore.open(config, identity)) {
            BallastStateMachine stateMachine = new BallastStateMachine();
            Replica replica = new Replica(replicaConfig, new PostgresReplicaLogStore(store), NO_PEERS, stateMachine,
                    DefaultLogger.stderr(), CrashPoints.NONE);
            replica.bootstrap(List.of(Member.newBuilder().setId(1).build()));
            drive(replica);
            replica.campaign();
            drive(replica);
            for (int i = 0; i < 12; i++) {
                CompletableFuture<ByteString> done = replica.propose(Proposal.of(ByteString.copyFromUtf8("c" + i), 0));
                drive(replica);
                assertThat(done).isCompleted();
            }
            assertThat(stateMachine.applied).isEqualTo(12);
            assertThat(store.snapshotDataSizeBytes()).isGreaterThan(PostgresLogStore.SNAPSHOT_INLINE_SIZE_BYTES_MAX);
        }

        try (PostgresLogStore store = PostgresLogStore.open(config, identity)) {
            BallastStateMachine restored = new BallastStateMachine();
            Replica replica = new Replica(replicaConfig, new PostgresReplicaLogStore(store), NO_PEERS, restored,
                    DefaultLogger.stderr(), CrashPoints.NONE);
            drive(replica);
            replica.campaign();
            drive(replica);
            assertThat(restored.applied).as("commands applied before the restart").isEqualTo(12);
        }
    }

    /**
     * The ballast machine whose snapshot serialization waits at a gate, so a test can hold a
     * snapshot in the middle of being written.
     */
    static final class GatedStateMachine extends BallastStateMachine {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile long capturedApplied = -1;

        @Override
        public SnapshotImage captureSnapshot() {
            long value = applied;
            if (capturedApplied < 0) {
                capturedApplied = value;
            }
            return new SnapshotImage() {
                @Override
                public long sizeBytes() {
                    return Long.BYTES + BALLAST_BYTES;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    writing.countDown();
                    try {
                        if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                            throw new IOException("the test never opened the gate");
                        }
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    write(out, value);
                }
            };
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void theLoopKeepsCommitting_whileASnapshotIsBeingWritten_andCompactsOnceItIsDurable() throws Exception {
        StorageConfig config = TestPostgres.freshConfig();
        NodeIdentity identity = new NodeIdentity(1, 7);
        ReplicaConfig replicaConfig = new ReplicaConfig(1, 7, 10, 1, 1024 * 1024, 64, 0, 5, 1, 100,
                ReplicaConfig.IDEMPOTENCY_TTL_MILLIS_DEFAULT, false, new SplittableRandom(1));
        GatedStateMachine stateMachine = new GatedStateMachine();
        try (PostgresLogStore store = PostgresLogStore.open(config, identity)) {
            Replica replica = new Replica(replicaConfig, new PostgresReplicaLogStore(store), NO_PEERS, stateMachine,
                    DefaultLogger.stderr(), CrashPoints.NONE);
            replica.bootstrap(List.of(Member.newBuilder().setId(1).build()));
            try (ReplicaLoop loop = new ReplicaLoop(replica, NO_PEERS, Duration.ofMillis(10))) {
                loop.start();
                loop.campaign();
                Await.until(WAIT, "the node to lead", () -> ReplicaLoop.join(loop.query(Replica::leaderId, WAIT)) == 1);
                for (int i = 0; i < 5; i++) {
                    ReplicaLoop.join(loop.propose(Proposal.of(ByteString.copyFromUtf8("before " + i), 0), WAIT));
                }
                assertThat(stateMachine.writing.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .as("a snapshot started being written").isTrue();

                // The snapshot's serialization is stuck at the gate; commands still commit and apply.
                for (int i = 0; i < 20; i++) {
                    ReplicaLoop.join(loop.propose(Proposal.of(ByteString.copyFromUtf8("during " + i), 0), WAIT));
                }
                assertThat(stateMachine.applied).isEqualTo(25);
                assertThat(store.snapshot().getMetadata().getIndex()).as("nothing saved before it is written").isZero();
                assertThat(store.firstIndex()).isEqualTo(1);

                stateMachine.release.countDown();
                Await.until(WAIT, "the snapshot to be saved and the log compacted",
                        () -> store.snapshot().getMetadata().getIndex() > 0 && store.firstIndex() > 1);
                assertThat(loop.failure()).isNull();
            }
        }

        // The saved snapshot (in several chunks) holds the state as it was captured on the loop,
        // not as it was when written.
        try (PostgresLogStore store = PostgresLogStore.open(config, identity)) {
            GatedStateMachine restored = new GatedStateMachine();
            new Replica(replicaConfig, new PostgresReplicaLogStore(store), NO_PEERS, restored,
                    DefaultLogger.stderr(), CrashPoints.NONE);
            assertThat(restored.applied).isEqualTo(stateMachine.capturedApplied).isLessThan(25);
        }
    }

    private static void drive(Replica replica) {
        for (int i = 0; i < 100 && replica.hasReady(); i++) {
            replica.processReady();
        }
    }
}
