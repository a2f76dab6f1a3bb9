package io.latchkey.raft;

import com.google.protobuf.ByteString;

/** A member of the initial configuration a cluster is bootstrapped with. */
public record Peer(long id, ByteString context) {
    public Peer(long id) {
        this(id, ByteString.EMPTY);
    }
}
