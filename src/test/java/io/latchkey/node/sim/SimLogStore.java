package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.LogStore;
import io.latchkey.raft.MemoryStorage;
import io.latchkey.raft.Ready;
import io.latchkey.raft.Storage;
import io.latchkey.raft.StorageException;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * A log store whose "disk" is a {@link MemoryStorage} that survives a simulated crash of its
 * replica. A write either happens whole or, when the simulator injects an fsync error, not at
 * all and throws — the all-or-nothing of one PostgreSQL transaction.
 */
final class SimLogStore implements LogStore {
    private final MemoryStorage disk = new MemoryStorage();
    private boolean failNextWrite;

    /** Makes the next write fail as an fsync error would. */
    void failNextWrite() {
        failNextWrite = true;
    }

    @Override
    public Storage storage() {
        return disk;
    }

    @Override
    public void persist(HardState hardState, List<Entry> entries, Snapshot snapshot) {
        checkWritable();
        if (!Ready.isEmptySnap(snapshot)) {
            disk.applySnapshot(snapshot);
        }
        if (!entries.isEmpty()) {
            disk.append(entries);
        }
        if (!Ready.isEmptyHardState(hardState)) {
            disk.setHardState(hardState);
        }
    }

    @Override
    public void saveSnapshot(long index, ConfState confState, ByteString data) {
        checkWritable();
        disk.createSnapshot(index, confState, data);
    }

    @Override
    public void compact(long index) {
        checkWritable();
        disk.compact(index);
    }

    private void checkWritable() {
        if (failNextWrite) {
            failNextWrite = false;
            throw new StorageException("simulated fsync failure");
        }
    }

    @Override
    public void close() {
    }
}
