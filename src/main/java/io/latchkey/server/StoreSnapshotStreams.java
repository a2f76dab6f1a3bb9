package io.latchkey.server;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.transport.SnapshotStreams;

import java.io.IOException;
import java.io.InputStream;

/**
 * Snapshot bytes between the PostgreSQL store and the peer transport. Sending streams the
 * stored chunks; receiving reads the stream into the MsgSnap handed to the replica, which
 * restores its state machine from it (so a received snapshot is held in memory once, up to
 * the transport's {@code snapshotBytesMax}).
 */
final class StoreSnapshotStreams implements SnapshotStreams {
    private final PostgresLogStore store;

    StoreSnapshotStreams(PostgresLogStore store) {
        this.store = store;
    }

    @Override
    public InputStream open(Snapshot snapshot) {
        // Small snapshots travel inline in the core's Snapshot; larger ones stay in the store.
        return snapshot.getData().isEmpty() ? store.openSnapshotData() : snapshot.getData().newInput();
    }

    @Override
    public Message receive(Message msgSnapHeader, InputStream data) throws IOException {
        ByteString bytes = ByteString.readFrom(data);
        return msgSnapHeader.toBuilder()
                .setSnapshot(msgSnapHeader.getSnapshot().toBuilder().setData(bytes))
                .build();
    }
}
