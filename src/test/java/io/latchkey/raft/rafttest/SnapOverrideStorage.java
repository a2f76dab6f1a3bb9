package io.latchkey.raft.rafttest;

import io.latchkey.raft.MemoryStorage;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;
import java.util.function.Supplier;

/**
 * A {@link MemoryStorage} whose {@link #snapshot()} answers with the node's latest applied
 * state instead. MemoryStorage's own snapshot only moves when the log is compacted or a
 * snapshot is installed, which is not what a leader should send to a lagging follower.
 */
final class SnapOverrideStorage implements NodeStorage {
    private final MemoryStorage delegate;
    private final Supplier<Snapshot> latestSnapshot;

    SnapOverrideStorage(MemoryStorage delegate, Supplier<Snapshot> latestSnapshot) {
        this.delegate = delegate;
        this.latestSnapshot = latestSnapshot;
    }

    @Override
    public Snapshot snapshot() {
        return latestSnapshot.get();
    }

    @Override
    public InitialState initialState() {
        return delegate.initialState();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        return delegate.entries(lo, hi, maxSize);
    }

    @Override
    public long term(long i) {
        return delegate.term(i);
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public long firstIndex() {
        return delegate.firstIndex();
    }

    @Override
    public void setHardState(HardState state) {
        delegate.setHardState(state);
    }

    @Override
    public void applySnapshot(Snapshot snapshot) {
        delegate.applySnapshot(snapshot);
    }

    @Override
    public void compact(long newFirstIndex) {
        delegate.compact(newFirstIndex);
    }

    @Override
    public void append(List<Entry> entries) {
        delegate.append(entries);
    }
}
