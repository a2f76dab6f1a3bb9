package io.latchkey.storage;

/**
 * Which node of which cluster a storage schema belongs to. Stored with the first write, so a
 * data directory or schema can never come back under another node's ID (which would let one
 * vote count twice).
 */
public record NodeIdentity(long nodeId, long clusterId) {
    public NodeIdentity {
        if (nodeId == 0) {
            throw new IllegalArgumentException("node ID 0 is reserved by Raft for 'none'");
        }
    }

    @Override
    public String toString() {
        return String.format("node %x of cluster %x", nodeId, clusterId);
    }
}
