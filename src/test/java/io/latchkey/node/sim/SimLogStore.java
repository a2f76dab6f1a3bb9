package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.LogStore;
import io.latchkey.node.SnapshotImage;
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
 * all and throws — the all-or-nothing of one PostgreSQL transaction. Writes that only move the
 * commit index are not flushed (as {@link LogStore#persist} allows): a crash may undo them
 * back to the last flushed write.
 */
public final class SimLogStore implements LogStore {
    private final MemoryStorage disk = new MemoryStorage();
    private boolean failNextWrite;
    /** The hard state of the last flushed write while commit-only moves follow it; else null. */
    private HardState flushedHardState;

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
        HardState stored = disk.initialState().hardState();
        boolean commitOnly = entries.isEmpty() && Ready.isEmptySnap(snapshot) && !Ready.isEmptyHardState(hardState)
                && hardState.getTerm() == stored.getTerm() && hardState.getVote() == stored.getVote();
        if (!commitOnly) {
            flushedHardState = null;
        } else if (flushedHardState == null) {
            flushedHardState = stored;
        }
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

    /** The process died: unflushed commit index moves are lost if {@code loseUnflushed}. */
    void crash(boolean loseUnflushed) {
        if (flushedHardState != null && loseUnflushed) {
            disk.setHardState(flushedHardState);
        }
        flushedHardState = null;
    }

    @Override
    public void saveSnapshot(long index, ConfState confState, SnapshotImage data) {
        checkWritable();
        flushedHardState = null;
        ByteString.Output bytes = ByteString.newOutput();
        try {
            data.writeTo(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        disk.createSnapshot(index, confState, bytes.toByteString());
    }

    @Override
    public void compact(long index) {
        checkWritable();
        flushedHardState = null;
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
