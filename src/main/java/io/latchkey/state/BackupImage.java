package io.latchkey.state;

import com.google.protobuf.CodedOutputStream;
import io.latchkey.node.SnapshotImage;
import io.latchkey.state.proto.StateBackup;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A {@link StateBackup} written field by field, its state streamed from a {@link StateImage}:
 * the bytes {@link Backups#of} gives for the same state, without the state in one buffer. The
 * state's SHA-256 (the last field) is computed while the state is written.
 */
final class BackupImage implements SnapshotImage {
    private static final int SHA256_BYTES = 32;

    private final StateBackup head;
    private final StateImage state;

    BackupImage(StateImage state, long appliedIndex, long clusterId) {
        this.head = StateBackup.newBuilder().setFormatVersion(Backups.FORMAT_VERSION).setRevision(state.revision())
                .setAppliedIndex(appliedIndex).setClusterId(clusterId).build();
        this.state = state;
    }

    @Override
    public long sizeBytes() {
        return head.getSerializedSize() + SnapshotImage.fieldSizeBytes(StateBackup.STATE_FIELD_NUMBER, state)
                + CodedOutputStream.computeTagSize(StateBackup.STATE_SHA256_FIELD_NUMBER)
                + CodedOutputStream.computeUInt32SizeNoTag(SHA256_BYTES) + SHA256_BYTES;
    }

    /** Fields in number order, an empty state left out, as protobuf encodes the whole message. */
    @Override
    public void writeTo(OutputStream out) throws IOException {
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        head.writeTo(coded);
        Sha256.Digesting stateOut = new Sha256.Digesting(out);
        SnapshotImage.writeField(coded, stateOut, StateBackup.STATE_FIELD_NUMBER, state);
        coded.writeBytes(StateBackup.STATE_SHA256_FIELD_NUMBER, stateOut.digest());
        coded.flush();
    }
}
