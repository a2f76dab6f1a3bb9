package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/** The storage holds another node's state. Starting anyway would let one node vote twice. */
public final class IdentityMismatchException extends StorageException {
    IdentityMismatchException(String schema, NodeIdentity stored, NodeIdentity requested) {
        super("storage schema '" + schema + "' belongs to " + stored + ", but this node starts as " + requested
                + ": point latchkey.storage.schema (or latchkey.data-dir) at this node's own storage, "
                + "or give the node its old identity");
    }
}
