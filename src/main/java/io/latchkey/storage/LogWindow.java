package io.latchkey.storage;

import io.latchkey.raft.raftpb.Entry;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent log entries, kept in memory so that the Raft core's reads of the log tail
 * (the common case: appending, replicating to followers that keep up) need no database round
 * trip. It holds a contiguous run {@code [firstIndex, nextIndex)} ending at the log's last
 * index, bounded by an entry count and a byte size; older entries are read from PostgreSQL.
 * Not thread-safe: the store guards it.
 */
final class LogWindow {
    private final int entriesMax;
    private final long sizeBytesMax;
    private final ArrayList<Entry> entries = new ArrayList<>();
    private long firstIndex;
    private long sizeBytes;

    LogWindow(int entriesMax, long sizeBytesMax, long firstIndex) {
        this.entriesMax = entriesMax;
        this.sizeBytesMax = sizeBytesMax;
        this.firstIndex = firstIndex;
    }

    /** The index of the oldest entry held, or {@link #nextIndex()} when empty. */
    long firstIndex() {
        return firstIndex;
    }

    long nextIndex() {
        return firstIndex + entries.size();
    }

    boolean contains(long index) {
        return index >= firstIndex && index < nextIndex();
    }

    Entry get(long index) {
        return entries.get(Math.toIntExact(index - firstIndex));
    }

    /** Forgets everything; the next entry appended will be {@code nextIndex}. */
    void reset(long nextIndex) {
        entries.clear();
        sizeBytes = 0;
        firstIndex = nextIndex;
    }

    /**
     * Writes contiguous {@code newEntries} at their indexes, discarding held entries at or after
     * the first of them (the same truncation the database write did).
     */
    void write(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long start = newEntries.get(0).getIndex();
        if (start < firstIndex || start > nextIndex()) {
            reset(start);
        } else {
            truncateFrom(start);
        }
        for (Entry entry : newEntries) {
            entries.add(entry);
            sizeBytes += entry.getSerializedSize();
        }
        trimToLimits();
    }

    /** Drops entries at or below {@code index} (compaction). */
    void dropThrough(long index) {
        if (index < firstIndex) {
            return;
        }
        if (index >= nextIndex() - 1) {
            reset(index + 1);
            return;
        }
        dropOldest(Math.toIntExact(index + 1 - firstIndex));
    }

    /**
     * Copies of the held entries in {@code [lo, hi)}, {@code lo} held, as many as fit in
     * {@code budget}. The list is new: callers may keep or change it.
     */
    List<Entry> copy(long lo, long hi, SizeBudget budget) {
        int from = Math.toIntExact(lo - firstIndex);
        int to = Math.toIntExact(Math.min(hi, nextIndex()) - firstIndex);
        List<Entry> result = new ArrayList<>(to - from);
        for (int i = from; i < to && budget.admit(entries.get(i)); i++) {
            result.add(entries.get(i));
        }
        return result;
    }

    private void truncateFrom(long index) {
        int keep = Math.toIntExact(index - firstIndex);
        for (int i = entries.size() - 1; i >= keep; i--) {
            sizeBytes -= entries.remove(i).getSerializedSize();
        }
    }

    /**
     * Trims in bulk, down to three quarters of each limit, so that the cost of shifting the
     * list is paid once per many appends rather than on every one.
     */
    private void trimToLimits() {
        if (entries.size() <= entriesMax && sizeBytes <= sizeBytesMax) {
            return;
        }
        long entriesTarget = entriesMax * 3L / 4;
        long sizeTarget = sizeBytesMax / 4 * 3;
        int drop = 0;
        long size = sizeBytes;
        while (drop < entries.size() && (entries.size() - drop > entriesTarget || size > sizeTarget)) {
            size -= entries.get(drop).getSerializedSize();
            drop++;
        }
        dropOldest(drop);
    }

    private void dropOldest(int count) {
        List<Entry> dropped = entries.subList(0, count);
        for (Entry entry : dropped) {
            sizeBytes -= entry.getSerializedSize();
        }
        dropped.clear();
        firstIndex += count;
    }
}
