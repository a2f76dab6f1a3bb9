package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;

import java.util.List;

/**
 * Byte accounting for log entries (the size helpers of etcd's {@code util.go}). The encoding size
 * is what an entry costs in a message or on disk; the payload size counts only the data, so that
 * empty entries, such as the one a new leader appends, are free.
 */
final class EntrySizes {
    private EntrySizes() {
    }

    /** The total encoded size of the entries; protobuf memoizes each entry's size. */
    static long entsSize(List<Entry> ents) {
        long size = 0;
        for (Entry ent : ents) {
            size += ent.getSerializedSize();
        }
        return size;
    }

    /**
     * The longest prefix of {@code ents} whose encoded size stays within {@code maxSize}, but never
     * less than the first entry when there is one, so that a single oversized entry still moves.
     *
     * <p>The result is an immutable list the caller may keep, whatever happens to {@code ents}
     * later: an immutable input that fits whole is returned as is, anything else is copied (the
     * references only).
     */
    static List<Entry> limitSize(List<Entry> ents, long maxSize) {
        int limit = limitCount(ents, maxSize);
        return List.copyOf(limit == ents.size() ? ents : ents.subList(0, limit));
    }

    private static int limitCount(List<Entry> ents, long maxSize) {
        if (ents.isEmpty()) {
            return 0;
        }
        long size = ents.get(0).getSerializedSize();
        for (int limit = 1; limit < ents.size(); limit++) {
            size += ents.get(limit).getSerializedSize();
            if (size > maxSize) {
                return limit;
            }
        }
        return ents.size();
    }

    /** The size of the entry's data alone; independent of its index and term. */
    static long payloadSize(Entry e) {
        return e.getData().size();
    }

    /** The summed {@link #payloadSize} of the entries. */
    static long payloadsSize(List<Entry> ents) {
        long size = 0;
        for (Entry e : ents) {
            size += payloadSize(e);
        }
        return size;
    }
}
