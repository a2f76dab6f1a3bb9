package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;

/**
 * Names one log entry. A leader issues at most one entry per index in its term, so the pair
 * (term, index) picks out a single entry across the whole cluster (etcd's {@code entryID}).
 */
record EntryId(long term, long index) {

    /** The id of a stored entry (etcd's {@code pbEntryID}). */
    static EntryId of(Entry entry) {
        return new EntryId(entry.getTerm(), entry.getIndex());
    }
}
