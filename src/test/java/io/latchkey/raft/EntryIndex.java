package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds runs of consecutive entries for tests, read as {@code index(5).terms(1, 1, 2)}: entries
 * at indices 5, 6, 7 with terms 1, 1, 2.
 */
record EntryIndex(long first) {

    static EntryIndex index(long first) {
        return new EntryIndex(first);
    }

    /** One entry per term, at consecutive indices from {@link #first}; the type is left unset. */
    List<Entry> terms(long... terms) {
        List<Entry> entries = new ArrayList<>(terms.length);
        long index = first;
        for (long term : terms) {
            entries.add(Entry.newBuilder().setTerm(term).setIndex(index++).build());
        }
        return List.copyOf(entries);
    }

    /**
     * Entries at consecutive indices from {@link #first} with consecutive terms {@code [from, to)},
     * typed {@code EntryNormal} explicitly (which adds to their encoded size).
     */
    List<Entry> termRange(long from, long to) {
        List<Entry> entries = new ArrayList<>((int) (to - from));
        long index = first;
        for (long term = from; term < to; term++) {
            entries.add(Entry.newBuilder().setTerm(term).setIndex(index++).setType(EntryType.EntryNormal).build());
        }
        return List.copyOf(entries);
    }
}
