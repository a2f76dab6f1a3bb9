package io.latchkey.raft.tracker;

import java.util.Arrays;

/**
 * Flow control for appends sent to one follower but not yet acknowledged (etcd's
 * {@code tracker.Inflights}). Each message is remembered by the index of its last entry and
 * its byte size. Senders check {@link #full()} before {@link #add}; acknowledgements release
 * room through {@link #freeLE}.
 *
 * <p>The messages sit in a ring buffer of two parallel primitive arrays, so tracking them
 * allocates nothing per message. The buffer grows on demand up to the message limit because a
 * process may host thousands of Raft groups, most of them idle.
 */
public final class Inflights {
    private static final long[] EMPTY = new long[0];

    /** Ring position of the oldest message. */
    int start;
    /** Messages in flight. */
    int count;
    /** Total bytes in flight. */
    long bytes;
    /** Most messages allowed in flight. */
    final int size;
    /** Soft byte limit; 0 means none. */
    final long maxBytes;
    /** Last entry index of each message. */
    long[] indexes;
    /** Byte size of each message. */
    long[] sizes;

    /**
     * Allows up to {@code size} messages and, unless {@code maxBytes} is 0, up to
     * {@code maxBytes} bytes in flight. The byte limit is soft: a single message may take the
     * total from below the limit to above it.
     */
    public Inflights(int size, long maxBytes) {
        this.size = size;
        this.maxBytes = maxBytes;
        this.indexes = EMPTY;
        this.sizes = EMPTY;
    }

    /** An identical tracker sharing no state with this one. */
    public Inflights copy() {
        Inflights c = new Inflights(size, maxBytes);
        c.start = start;
        c.count = count;
        c.bytes = bytes;
        c.indexes = indexes.clone();
        c.sizes = sizes.clone();
        return c;
    }

    /**
     * Records a message whose last entry is {@code index}. Indexes must increase from call to
     * call, and the caller must have checked that the tracker is not {@link #full()}.
     */
    public void add(long index, long bytes) {
        if (full()) {
            throw new IllegalStateException("cannot add into a Full inflights");
        }
        int next = start + count;
        if (next >= size) {
            next -= size;
        }
        if (next >= indexes.length) {
            grow();
        }
        indexes[next] = index;
        sizes[next] = bytes;
        count++;
        this.bytes += bytes;
    }

    /** Doubles the buffer, capped at the message limit. */
    private void grow() {
        int newSize = indexes.length * 2;
        if (newSize == 0) {
            newSize = 1;
        } else if (newSize > size) {
            newSize = size;
        }
        indexes = Arrays.copyOf(indexes, newSize);
        sizes = Arrays.copyOf(sizes, newSize);
    }

    /** Releases every message whose last index is at most {@code to}. */
    public void freeLE(long to) {
        if (count == 0 || to < indexes[start]) {
            return;
        }
        int idx = start;
        int i;
        long freed = 0;
        for (i = 0; i < count; i++) {
            if (to < indexes[idx]) {
                break;
            }
            freed += sizes[idx];
            if (++idx >= size) {
                idx -= size;
            }
        }
        count -= i;
        bytes -= freed;
        start = idx;
        if (count == 0) {
            // Restarting at slot 0 keeps the buffer from growing just because the window moved.
            start = 0;
        }
    }

    /** Whether another message would exceed the message or byte limit. */
    public boolean full() {
        return count == size || (maxBytes != 0 && bytes >= maxBytes);
    }

    /** Messages currently in flight. */
    public int count() {
        return count;
    }

    /** Forgets every message in flight. */
    void reset() {
        start = 0;
        count = 0;
        bytes = 0;
    }
}
