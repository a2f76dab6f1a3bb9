package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.node.SnapshotImage;
import io.latchkey.state.proto.StateBackup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

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
     * Reads a backup held in memory and checks it as {@link CheckedBackup#check} does.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static StateBackup read(byte[] bytes) {
        try {
            CheckedBackup.check(new ByteArrayInputStream(bytes));
            return StateBackup.parseFrom(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a backup from memory", e);
        }
    }
}
