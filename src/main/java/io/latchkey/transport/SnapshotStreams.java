package io.latchkey.transport;

import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where snapshot bytes live, so that a snapshot never has to be one in-memory message.
 *
 * <p>In a {@code Snapshot} that Raft hands around, {@code data} is a small local reference
 * (a file name, a row id) to the stored bytes, not the bytes themselves.
 */
public interface SnapshotStreams {
    /**
     * Opens the bytes that {@code snapshot} refers to, for streaming to a peer. The caller
     * closes the stream.
     */
    InputStream open(Snapshot snapshot) throws IOException;

    /**
     * Stores a snapshot arriving from a peer and returns the message to deliver to the replica.
     *
     * <p>{@code msgSnapHeader} is the peer's {@code MsgSnap} with an empty snapshot data field;
     * {@code data} yields exactly the snapshot bytes and must be read until it ends (a stream cut
     * short throws {@link IOException}). When this returns, the bytes are durable and the
     * returned message's snapshot data is the local reference to them.
     *
     * <p>The transport makes one call at a time, and delivers each returned message to the
     * replica before it makes the next: a store may therefore drop what earlier calls stored
     * once a later snapshot is installed.
     */
    Message receive(Message msgSnapHeader, InputStream data) throws IOException;
}
