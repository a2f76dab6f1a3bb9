package io.latchkey.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.node.SnapshotImage;
import io.latchkey.state.proto.StateBackup;
import io.latchkey.state.proto.StateSnapshot;

/** Writes and checks {@link StateBackup}s: the state machine's snapshot with its checksum. */
public final class Backups {
    public static final int FORMAT_VERSION = 1;

    private Backups() {
    }

    /** A backup of {@code state}, a snapshot {@link LatchkeyStateMachine#writeSnapshot} wrote at {@code appliedIndex}. */
    public static StateBackup of(ByteString state, long revision, long appliedIndex, long clusterId) {
        return StateBackup.newBuilder().setFormatVersion(FORMAT_VERSION).setRevision(revision)
                .setAppliedIndex(appliedIndex).setClusterId(clusterId).setState(state).setStateSha256(Sha256.of(state)).build();
    }

    /**
     * A backup of {@code state} captured at {@code appliedIndex}, written on demand: the same
     * bytes as {@link #of} for it, streamed without the state in one buffer.
     */
    public static SnapshotImage image(StateImage state, long appliedIndex, long clusterId) {
        return new BackupImage(state, appliedIndex, clusterId);
    }

    /**
     * Reads a backup and checks it: the format, the checksum, that the state decodes and that
     * its revision is the one recorded.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static StateBackup read(byte[] bytes) {
        StateBackup backup;
        StateSnapshot snapshot;
        try {
            backup = StateBackup.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a Latchkey snapshot: " + e.getMessage(), e);
        }
        if (backup.getFormatVersion() != FORMAT_VERSION) {
            throw new IllegalArgumentException("snapshot format " + backup.getFormatVersion() + " is not " + FORMAT_VERSION
                    + " (not a Latchkey snapshot, or from a newer version)");
        }
        if (!Sha256.of(backup.getState()).equals(backup.getStateSha256())) {
            throw new IllegalArgumentException("the snapshot's state does not match its SHA-256: the file is damaged");
        }
        try {
            snapshot = StateSnapshot.parseFrom(backup.getState());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("the snapshot's state does not decode: " + e.getMessage(), e);
        }
        if (snapshot.getRevision() != backup.getRevision()) {
            throw new IllegalArgumentException("the snapshot says revision " + backup.getRevision() + " but its state is at "
                    + snapshot.getRevision());
        }
        return backup;
    }
}
