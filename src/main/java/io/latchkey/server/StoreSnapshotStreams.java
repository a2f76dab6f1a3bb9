package io.latchkey.server;

import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.transport.SnapshotStreams;

import java.io.IOException;
import java.io.InputStream;

/**
 * Snapshot bytes between the PostgreSQL store and the peer transport, never held whole.
 * Sending streams the stored chunks. Receiving streams the bytes into the store's staging
 * ({@link PostgresLogStore#stageSnapshot}) and hands the replica a MsgSnap that refers to them;
 * persisting that MsgSnap installs them, and the replica restores its state machine from the
 * stored chunks.
 */
final class StoreSnapshotStreams implements SnapshotStreams {
    private final PostgresLogStore store;

    StoreSnapshotStreams(PostgresLogStore store) {
        this.store = store;
    }

    @Override
    public InputStream open(Snapshot snapshot) {
        // Small snapshots travel inline in the core's Snapshot; larger ones stay in the store,
        // which may hold a newer one by now: its bytes under this snapshot's index would make the
        // peer apply the entries in between twice, so that refuses (the send fails, Raft retries
        // with the newer snapshot).
        return snapshot.getData().isEmpty() ? store.openSnapshotData(snapshot.getMetadata().getIndex())
                : snapshot.getData().newInput();
    }

    @Override
    public Message receive(Message msgSnapHeader, InputStream data) throws IOException {
        return msgSnapHeader.toBuilder()
                .setSnapshot(msgSnapHeader.getSnapshot().toBuilder().setData(store.stageSnapshot(data)))
                .build();
    }
}
