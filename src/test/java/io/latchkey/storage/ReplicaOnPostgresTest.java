package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.StateMachine;
import io.latchkey.node.proto.Member;
import io.latchkey.node.sim.HandTransport;
import io.latchkey.raft.DefaultLogger;
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
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica on the PostgreSQL store: its state survives a restart through a snapshot too big
 * to travel inline (the store keeps it in chunks and the replica reads them back).
 */
@Tag("storage")
class ReplicaOnPostgresTest {
    /** Over the store's inline limit, so the snapshot must be read from its chunks. */
    private static final int BALLAST_BYTES = 3 * 1024 * 1024;

    /** Counts applied commands; its snapshot carries megabytes of ballast. */
    static final class BallastStateMachine implements StateMachine {
        long applied;

        @Override
        public ByteString apply(long index, ByteString command) {
            applied++;
            return ByteString.EMPTY;
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
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

    private static void drive(Replica replica) {
        for (int i = 0; i < 100 && replica.hasReady(); i++) {
            replica.processReady();
        }
    }
}
