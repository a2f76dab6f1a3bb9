package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * The log and state the application has made durable, as the core reads it. The core never
 * writes through this interface: the application persists what a {@code Ready} hands it and
 * only then tells the core (etcd-io/raft {@code storage.go}).
 *
 * <p>Any {@link StorageException} other than the expected subclasses makes the core
 * inoperable; the application is responsible for recovery.
 */
public interface Storage {
    /** The saved hard state (empty if none was saved) and the configuration of the last snapshot. */
    InitialState initialState();

    /**
     * Consecutive entries in {@code [lo, hi)}. {@code maxSize} caps their total encoded size,
     * but at least one entry is returned if any exists. The returned list is the caller's: it
     * may not be a view of the storage's own state.
     *
     * @throws CompactedException if {@code lo} is at or below the snapshot index
     * @throws UnavailableException if some entry in the range is missing
     */
    List<Entry> entries(long lo, long hi, long maxSize);

    /**
     * The term of entry {@code i}, for {@code firstIndex() - 1 <= i <= lastIndex()}; the term of
     * the entry just before the first is kept for log matching.
     *
     * @throws CompactedException if {@code i} is below {@code firstIndex() - 1}
     * @throws UnavailableException if {@code i} is above {@code lastIndex()}
     */
    long term(long i);

    /** The index of the last entry in the log. */
    long lastIndex();

    /**
     * The index of the first entry that {@link #entries} may return; entries before it are in
     * the latest snapshot.
     */
    long firstIndex();

    /**
     * The latest snapshot.
     *
     * @throws SnapshotTemporarilyUnavailableException if it is being prepared
     */
    Snapshot snapshot();

    /** What a node restarts from: the last hard state and the conf state of its snapshot. */
    record InitialState(HardState hardState, ConfState confState) {
    }
}
