package io.latchkey.storage;

import io.latchkey.raft.raftpb.Entry;

/**
 * The {@code maxSize} rule of {@code Storage.entries}: entries are taken while their total
 * encoded size stays within the budget, but the first one always, so a caller can make
 * progress past an entry larger than its limit (etcd-io/raft {@code limitSize}).
 */
final class SizeBudget {
    private final long sizeBytesMax;
    private long sizeBytes;
    private boolean any;
    private boolean exhausted;

    SizeBudget(long sizeBytesMax) {
        this.sizeBytesMax = sizeBytesMax;
    }

    /** Counts {@code entry} if it fits; once one does not fit, nothing more does. */
    boolean admit(Entry entry) {
        if (exhausted) {
            return false;
        }
        long size = entry.getSerializedSize();
        if (any && sizeBytes + size > sizeBytesMax) {
            exhausted = true;
            return false;
        }
        any = true;
        sizeBytes += size;
        return true;
    }

    boolean exhausted() {
        return exhausted;
    }
}
