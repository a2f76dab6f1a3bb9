package io.latchkey.storage;

import io.latchkey.raft.StorageException;

/** The storage holds another node's state. Starting anyway would let one node vote twice. */
public final class IdentityMismatchException extends StorageException {
    IdentityMismatchException(String schema, NodeIdentity stored, NodeIdentity requested) {
        this("storage schema '" + schema + "' belongs to " + stored + ", but this node starts as " + requested
                + ": point latchkey.storage.schema (or latchkey.data-dir) at this node's own storage, "
                + "or give the node its old identity");
    }

    private IdentityMismatchException(String message) {
        super(message);
    }

    /** The node has started on this storage before, but the storage holds no node at all. */
    static IdentityMismatchException missing(String schema, NodeIdentity requested) {
        return new IdentityMismatchException("this node (" + requested + ") has started before (its data directory has "
                + "node.identity), but storage schema '" + schema + "' holds no Latchkey node: the database was emptied or "
                + "replaced. Starting on it would forget votes and acknowledged entries. Restore the node's database, or "
                + "remove the member from the cluster and add it back with an empty data directory");
    }
}
