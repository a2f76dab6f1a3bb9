package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;

import java.util.List;

/**
 * A run of consecutive log entries as the leader of {@code term} sees them, following the entry
 * {@code prev} (etcd's {@code logSlice}).
 *
 * <p>A well-formed slice has contiguous indices starting at {@code prev.index() + 1}, terms that
 * never decrease (starting from {@code prev.term()}), and no entry newer than {@code term}.
 * Code that builds a slice from outside input (a message, storage, a test) checks this with
 * {@link #validate()}; everything else may rely on it.
 *
 * @param entries not copied: pass a list nobody changes afterwards, such as a protobuf
 *                repeated field or an immutable list
 */
record LogSlice(long term, EntryId prev, List<Entry> entries) {

    /** The index of the last entry, or of {@code prev} when the slice is empty. */
    long lastIndex() {
        return prev.index() + entries.size();
    }

    /** The id of the last entry, or {@code prev} when the slice is empty. */
    EntryId lastEntryId() {
        if (entries.isEmpty()) {
            return prev;
        }
        return EntryId.of(entries.get(entries.size() - 1));
    }

    /**
     * Checks that the slice is well formed (etcd's {@code valid}).
     *
     * @throws IllegalStateException with etcd's error text when it is not
     */
    void validate() {
        EntryId last = prev;
        for (Entry entry : entries) {
            EntryId id = EntryId.of(entry);
            if (id.term() < last.term() || id.index() != last.index() + 1) {
                throw new IllegalStateException(String.format(
                        "leader term %d: entries %s and %s not consistent", term, describe(last), describe(id)));
            }
            last = id;
        }
        if (term < last.term()) {
            throw new IllegalStateException(String.format(
                    "leader term %d: entry %s has a newer term", term, describe(last)));
        }
    }

    /** Go's {@code %+v} rendering of an entry id, which the error texts above embed. */
    private static String describe(EntryId id) {
        return "{term:" + id.term() + " index:" + id.index() + "}";
    }
}
