package io.latchkey.storage;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * What one Ready (or one MsgStorageAppend) asks to make durable: a snapshot to install, then
 * entries to write at their indexes, then the hard state. Any part may be absent.
 *
 * @param hardState null when unchanged
 * @param entries   contiguous, ascending indexes; empty when none
 * @param snapshot  null when none; replaces the whole log with its origin
 */
public record WriteBatch(HardState hardState, List<Entry> entries, Snapshot snapshot) {
    public WriteBatch {
        entries = List.copyOf(entries);
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).getIndex() != entries.get(0).getIndex() + i) {
                throw new IllegalArgumentException("entries must have consecutive indexes, got "
                        + entries.get(i - 1).getIndex() + " then " + entries.get(i).getIndex());
            }
        }
    }

    public static WriteBatch of(HardState hardState, List<Entry> entries) {
        return new WriteBatch(hardState, entries, null);
    }
}
