package io.latchkey.server;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.latchkey.config.NodeSettings;
import io.latchkey.node.proto.Member;
import io.latchkey.node.proto.ReplicaSnapshot;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import io.latchkey.state.CheckedBackup;
import io.latchkey.storage.NodeIdentity;
import io.latchkey.storage.PostgresLogStore;
import org.eclipse.microprofile.config.ConfigProvider;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code java -jar latchkey.jar restore FILE --data-dir DIR}: makes DIR the data directory of
 * a new single-member cluster whose state is the backup in FILE (from
 * {@code GET /v1/maintenance/snapshot}). Started with the same {@code latchkey.data-dir}, the
 * node comes up with every key, revision, lease and lock of the backup; other members are
 * then added through the membership API.
 *
 * <p>The backup is read as a stream, twice: once to check it (format, SHA-256, that the state
 * decodes, its revision) before anything is written, once to copy its state into the stored
 * snapshot's chunks; memory stays at a buffer and one element of the state, whatever its size.
 * The backup becomes the raft snapshot at index 1 of term 1, with this node as the only
 * voter, as if the node had received it from a leader: the ordinary restart path restores the
 * state machine from it. The cluster and node ids are new, so no member of the old cluster can
 * mistake the restored node for one of its own. Other settings (storage, peer port) are read
 * as the node reads them: system properties, environment, microprofile-config.properties.
 */
public final class Restore {
    /** The raft index and term the restored state is placed at. */
    private static final long SNAPSHOT_INDEX = 1;
    private static final long SNAPSHOT_TERM = 1;
    private static final int READ_BUFFER_BYTES = 256 << 10;

    private Restore() {
    }

    public static void main(String[] args) {
        Path file = null;
        Path dataDir = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--data-dir") && i + 1 < args.length) {
                dataDir = Path.of(args[++i]);
            } else if (file == null && !args[i].startsWith("--")) {
                file = Path.of(args[i]);
            } else {
                usage("unexpected argument '" + args[i] + "'");
            }
        }
        if (file == null || dataDir == null) {
            usage("FILE and --data-dir DIR are required");
        }
        try {
            NodeIdentity identity = restore(file, dataDir);
            System.out.println("restored " + file + " into " + dataDir + ": node " + Long.toHexString(identity.nodeId())
                    + " of the new cluster " + Long.toHexString(identity.clusterId())
                    + "; start it with latchkey.data-dir=" + dataDir);
        } catch (RuntimeException e) {
            System.err.println("restore failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            System.exit(1);
        }
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: java -jar latchkey.jar restore FILE --data-dir DIR");
        System.exit(2);
    }

    /**
     * Restores the backup in {@code file} into the empty data directory {@code dataDir}.
     *
     * @return the identity of the new node
     * @throws IllegalArgumentException if the backup is damaged, the directory holds a node, or
     *                                  peers are configured (a restore makes one member)
     */
    static NodeIdentity restore(Path file, Path dataDir) {
        CheckedBackup backup;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), READ_BUFFER_BYTES)) {
            backup = CheckedBackup.check(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (Files.exists(dataDir.resolve(ReplicaHost.IDENTITY_FILE))) {
            throw new IllegalArgumentException(dataDir + " already holds a node (" + ReplicaHost.IDENTITY_FILE
                    + "): restore into an empty directory");
        }
        System.setProperty("latchkey.data-dir", dataDir.toString());
        NodeSettings settings = NodeSettings.from(ConfigProvider.getConfig());
        ReplicaHost.StartPlan plan = ReplicaHost.StartPlan.decide(settings);
        if (plan.hasPeers() || plan.bootstrapMembers().size() != 1) {
            throw new IllegalArgumentException("a restore creates a single-member cluster: unset latchkey.cluster.peers,"
                    + " latchkey.k8s.* and latchkey.cluster.id, and add the other members afterwards");
        }
        NodeIdentity identity = plan.identity();
        ReplicaHost.createDirectories(dataDir);
        try (PostgresLogStore store = PostgresLogStore.open(ReplicaHost.storageConfig(settings), identity, false);
             InputStream in = new BufferedInputStream(Files.newInputStream(file), READ_BUFFER_BYTES)) {
            if (store.lastIndex() != 0 || store.hardState().getTerm() != 0) {
                throw new IllegalArgumentException("the database for " + dataDir + " (schema " + settings.storageSchema()
                        + ") is not empty: restore into empty storage");
            }
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(SNAPSHOT_INDEX).setTerm(SNAPSHOT_TERM)
                    .setConfState(ConfState.newBuilder().addVoters(identity.nodeId())).build();
            byte[] head = replicaSnapshotHead(identity.clusterId(), plan.bootstrapMembers(), backup.stateSizeBytes());
            // The state goes from the file to the stored chunks as a stream; a file changed
            // since it was checked fails the restore (readState digests it again).
            backup.readState(in, state -> store.applySnapshot(metadata,
                    new SequenceInputStream(new ByteArrayInputStream(head), state)));
            store.persist(HardState.newBuilder().setTerm(SNAPSHOT_TERM).setCommit(SNAPSHOT_INDEX).build(), List.of(), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        ReplicaHost.writeIdentity(dataDir.resolve(ReplicaHost.IDENTITY_FILE), identity);
        return identity;
    }

    /**
     * The {@link ReplicaSnapshot} fields before its state, in number order as protobuf writes
     * them, and the state field's tag and length: the state's bytes follow, as they lie in the backup.
     */
    private static byte[] replicaSnapshotHead(long clusterId, List<Member> members, long stateSizeBytes) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(head);
        ReplicaSnapshot.newBuilder().setClusterId(clusterId).addAllMembers(members).build().writeTo(coded);
        if (stateSizeBytes > 0) {
            coded.writeTag(ReplicaSnapshot.STATE_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            coded.writeUInt64NoTag(stateSizeBytes);
        }
        coded.flush();
        return head.toByteArray();
    }
}
