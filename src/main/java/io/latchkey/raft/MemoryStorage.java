package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Storage} kept in memory (etcd's {@code MemoryStorage}), with the write side the
 * application uses to persist what a {@code Ready} hands it.
 *
 * <p>Thread-safe: the Raft core reads it on its own thread while the application appends from
 * another.
 */
public final class MemoryStorage implements Storage {
    private final ReentrantLock lock = new ReentrantLock();
    private final Logger logger;

    private HardState hardState = HardState.getDefaultInstance();
    private Snapshot snapshot = Snapshot.getDefaultInstance();
    /**
     * {@code ents.get(i)} is at log index {@code i + ents.get(0).getIndex()}. The first element
     * is a placeholder standing for the last compacted (or snapshot) entry: only its index and
     * term are meaningful. Changed in place: only copies of it are handed out.
     */
    private ArrayList<Entry> ents = new ArrayList<>();

    /** An empty storage that reports broken invariants through {@code logger}. */
    public MemoryStorage(Logger logger) {
        this.logger = logger;
        // A fresh log starts after a placeholder at index 0, term 0.
        ents.add(Entry.getDefaultInstance());
    }

    /** An empty storage that reports broken invariants on standard error. */
    public MemoryStorage() {
        this(DefaultLogger.stderr());
    }

    @Override
    public InitialState initialState() {
        lock.lock();
        try {
            return new InitialState(hardState, snapshot.getMetadata().getConfState());
        } finally {
            lock.unlock();
        }
    }

    /** Saves the current hard state. */
    public void setHardState(HardState st) {
        lock.lock();
        try {
            hardState = st;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        lock.lock();
        try {
            long offset = ents.get(0).getIndex();
            if (lo <= offset) {
                throw CompactedException.INSTANCE;
            }
            if (hi > lastIndex() + 1) {
                throw logger.panic("entries' hi(%d) is out of bound lastindex(%d)", hi, lastIndex());
            }
            // Only the placeholder is left.
            if (ents.size() == 1) {
                throw UnavailableException.INSTANCE;
            }
            // limitSize copies, so the caller never sees later changes to ents.
            return EntrySizes.limitSize(ents.subList((int) (lo - offset), (int) (hi - offset)), maxSize);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long term(long i) {
        lock.lock();
        try {
            long offset = ents.get(0).getIndex();
            if (i < offset) {
                throw CompactedException.INSTANCE;
            }
            if (i - offset >= ents.size()) {
                throw UnavailableException.INSTANCE;
            }
            return ents.get((int) (i - offset)).getTerm();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long lastIndex() {
        lock.lock();
        try {
            return lastIndexLocked();
        } finally {
            lock.unlock();
        }
    }

    private long lastIndexLocked() {
        return ents.get(0).getIndex() + ents.size() - 1;
    }

    @Override
    public long firstIndex() {
        lock.lock();
        try {
            return firstIndexLocked();
        } finally {
            lock.unlock();
        }
    }

    private long firstIndexLocked() {
        return ents.get(0).getIndex() + 1;
    }

    @Override
    public Snapshot snapshot() {
        lock.lock();
        try {
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces the whole contents with {@code snap}.
     *
     * @throws SnapOutOfDateException if it is not newer than the current snapshot
     */
    public void applySnapshot(Snapshot snap) {
        lock.lock();
        try {
            long msIndex = snapshot.getMetadata().getIndex();
            long snapIndex = snap.getMetadata().getIndex();
            // A bootstrapping application may install a snapshot that carries only a ConfState,
            // at index 0; that one must not block the first real snapshot.
            if (msIndex != 0 && msIndex >= snapIndex) {
                throw SnapOutOfDateException.INSTANCE;
            }
            snapshot = snap;
            ents = new ArrayList<>();
            ents.add(Entry.newBuilder()
                    .setTerm(snap.getMetadata().getTerm())
                    .setIndex(snap.getMetadata().getIndex())
                    .build());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a snapshot of the state machine at index {@code i}, for {@link #snapshot()} to
     * return. Pass the result of the last applied configuration change as {@code cs} if there
     * was one since the last compaction; null keeps the previous one. A null {@code data} leaves
     * the snapshot without data.
     *
     * @throws SnapOutOfDateException if {@code i} is not beyond the current snapshot
     */
    public Snapshot createSnapshot(long i, ConfState cs, ByteString data) {
        lock.lock();
        try {
            if (i <= snapshot.getMetadata().getIndex()) {
                throw SnapOutOfDateException.INSTANCE;
            }
            long offset = ents.get(0).getIndex();
            if (i > lastIndexLocked()) {
                throw logger.panic("snapshot %d is out of bound lastindex(%d)", i, lastIndexLocked());
            }
            SnapshotMetadata.Builder metadata = snapshot.getMetadata().toBuilder()
                    .setIndex(i)
                    .setTerm(ents.get((int) (i - offset)).getTerm());
            if (cs != null) {
                metadata.setConfState(cs);
            }
            Snapshot.Builder builder = snapshot.toBuilder().setMetadata(metadata);
            if (data != null) {
                builder.setData(data);
            } else {
                builder.clearData();
            }
            snapshot = builder.build();
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Discards the entries before {@code compactIndex}. The application must not compact beyond
     * what it has applied.
     *
     * @throws CompactedException if {@code compactIndex} is already compacted
     */
    public void compact(long compactIndex) {
        lock.lock();
        try {
            long offset = ents.get(0).getIndex();
            if (compactIndex <= offset) {
                throw CompactedException.INSTANCE;
            }
            if (compactIndex > lastIndexLocked()) {
                throw logger.panic("compact %d is out of bound lastindex(%d)", compactIndex, lastIndexLocked());
            }
            int i = (int) (compactIndex - offset);
            ArrayList<Entry> kept = new ArrayList<>(ents.size() - i);
            kept.add(Entry.newBuilder()
                    .setIndex(ents.get(i).getIndex())
                    .setTerm(ents.get(i).getTerm())
                    .build());
            kept.addAll(ents.subList(i + 1, ents.size()));
            ents = kept;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends consecutive entries, replacing any stored entries from the first new index on.
     * Entries already compacted are skipped; a gap after the last stored entry is a bug.
     */
    public void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            long first = firstIndexLocked();
            long last = entries.get(0).getIndex() + entries.size() - 1;
            // Nothing new: everything given is compacted already.
            if (last < first) {
                return;
            }
            if (first > entries.get(0).getIndex()) {
                entries = entries.subList((int) (first - entries.get(0).getIndex()), entries.size());
            }
            long offset = entries.get(0).getIndex() - ents.get(0).getIndex();
            if (ents.size() > offset) {
                // In-place truncation is safe: callers only ever got copies of ents.
                ents.subList((int) offset, ents.size()).clear();
                ents.addAll(entries);
            } else if (ents.size() == offset) {
                ents.addAll(entries);
            } else {
                throw logger.panic("missing log entry [last: %d, append at: %d]",
                        lastIndexLocked(), entries.get(0).getIndex());
            }
        } finally {
            lock.unlock();
        }
    }
}
