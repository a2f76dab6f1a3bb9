package io.latchkey.storage;

import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Snapshot data received from a leader and stored, but not yet installed: its chunks wait in
 * {@code snapshot_chunk} under the negative key {@code -id} until the MsgSnap that refers to
 * it is persisted (which installs them under the snapshot's index), or a later install or a
 * restart drops them. Raft carries the {@link #reference()} in {@code Snapshot.data} meanwhile,
 * as etcd's MsgSnap carries only what finds the received db file.
 *
 * @param id         positive, growing with each staging of this process
 * @param sizeBytes  the data's size
 * @param chunkCount rows it was stored in
 */
record StagedSnapshot(long id, long sizeBytes, int chunkCount) {
    /**
     * Starts every reference. A serialized ReplicaSnapshot, the other thing {@code Snapshot.data}
     * holds, never starts with a zero byte (protobuf has no field number 0).
     */
    private static final byte[] MAGIC = {0, 'l', 'k', '-', 's', 't', 'a', 'g', 'e', 'd'};
    private static final int REFERENCE_BYTES = MAGIC.length + Long.BYTES + Long.BYTES + Integer.BYTES;

    StagedSnapshot {
        if (id <= 0) {
            throw new IllegalArgumentException("staging id " + id + " is not positive");
        }
    }

    /** Where its chunks wait in {@code snapshot_chunk.snapshot_idx}. */
    long chunkKey() {
        return -id;
    }

    /** What {@code Snapshot.data} carries in its place. */
    ByteString reference() {
        ByteBuffer bytes = ByteBuffer.allocate(REFERENCE_BYTES)
                .put(MAGIC).putLong(id).putLong(sizeBytes).putInt(chunkCount);
        return ByteString.copyFrom(bytes.flip());
    }

    /** The staged snapshot {@code data} refers to, or empty if it is snapshot data itself. */
    static Optional<StagedSnapshot> referredToBy(ByteString data) {
        if (data.size() != REFERENCE_BYTES || !data.startsWith(ByteString.copyFrom(MAGIC))) {
            return Optional.empty();
        }
        ByteBuffer bytes = data.asReadOnlyByteBuffer().position(MAGIC.length);
        return Optional.of(new StagedSnapshot(bytes.getLong(), bytes.getLong(), bytes.getInt()));
    }
}
