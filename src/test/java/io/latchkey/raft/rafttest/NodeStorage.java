package io.latchkey.raft.rafttest;

import io.latchkey.raft.Storage;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * The storage of a harness node: what the core reads, plus the writes the harness performs
 * when it plays the application handling a Ready or a storage-thread message.
 */
public interface NodeStorage extends Storage {
    void setHardState(HardState state);

    void applySnapshot(Snapshot snapshot);

    void compact(long newFirstIndex);

    void append(List<Entry> entries);
}
