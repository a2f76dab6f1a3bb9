package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latchkey.raft.EntryIndex.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link Storage} must do, as etcd's MemoryStorage does it. An implementation's test
 * extends this class and supplies fresh, empty storages; each test closes the one it used.
 */
public abstract class StorageContractTest {

    /** A fresh empty storage under test together with the write operations the contract exercises. */
    protected abstract WritableStorage newStorage();

    public interface WritableStorage extends AutoCloseable {
        Storage storage();

        void append(List<Entry> entries);      // with conflict truncation, like MemoryStorage.append

        void applySnapshot(Snapshot snapshot); // replaces log; throws SnapOutOfDateException if older

        void compact(long compactIndex);       // throws CompactedException / panics as MemoryStorage

        void setHardState(HardState hardState);

        @Override
        default void close() {
        }
    }

    private static Snapshot snapshot(long index, long term) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term))
                .build();
    }

    /**
     * A storage whose log was compacted up to {@code compactedIndex} (only that entry's term is
     * kept) and then holds {@code tail}.
     */
    private WritableStorage storageWith(long compactedIndex, long compactedTerm, List<Entry> tail) {
        WritableStorage w = newStorage();
        w.applySnapshot(snapshot(compactedIndex, compactedTerm));
        w.append(tail);
        return w;
    }

    /** Storage over entries 3..5 with terms 3..5, entry 3 compacted. */
    private WritableStorage storageOf345() {
        return storageWith(3, 3, index(4).terms(4, 5));
    }

    /** The log in {@code s}: the compacted entry's id followed by every available entry. */
    private static void assertLog(Storage s, List<Entry> want) {
        Entry head = want.get(0);
        assertThat(s.firstIndex()).isEqualTo(head.getIndex() + 1);
        assertThat(s.lastIndex()).isEqualTo(head.getIndex() + want.size() - 1);
        assertThat(s.term(head.getIndex())).isEqualTo(head.getTerm());
        if (want.size() > 1) {
            assertThat(s.entries(s.firstIndex(), s.lastIndex() + 1, RaftLog.NO_LIMIT))
                    .isEqualTo(want.subList(1, want.size()));
        }
    }

    @Test
    public void anEmptyStorageStartsAfterIndexZero() {
        try (WritableStorage w = newStorage()) {
            Storage s = w.storage();
            assertThat(s.firstIndex()).isEqualTo(1);
            assertThat(s.lastIndex()).isZero();
            assertThat(s.term(0)).isZero();
            assertThatThrownBy(() -> s.term(1)).isSameAs(UnavailableException.INSTANCE);
            assertThatThrownBy(() -> s.entries(1, 1, RaftLog.NO_LIMIT)).isSameAs(UnavailableException.INSTANCE);
            assertThat(s.snapshot().getMetadata().getIndex()).isZero();
        }
    }

    @Test
    public void termIsKnownFromTheCompactedEntryToTheLast() {
        try (WritableStorage w = storageOf345()) {
            Storage s = w.storage();
            assertThatThrownBy(() -> s.term(2)).isSameAs(CompactedException.INSTANCE);
            assertThat(s.term(3)).isEqualTo(3);
            assertThat(s.term(4)).isEqualTo(4);
            assertThat(s.term(5)).isEqualTo(5);
            assertThatThrownBy(() -> s.term(6)).isSameAs(UnavailableException.INSTANCE);
        }
    }

    @Test
    public void entriesStartAfterTheCompactedEntry() {
        try (WritableStorage w = storageWith(3, 3, index(4).terms(4, 5, 6))) {
            Storage s = w.storage();
            assertThatThrownBy(() -> s.entries(2, 6, RaftLog.NO_LIMIT)).isSameAs(CompactedException.INSTANCE);
            assertThatThrownBy(() -> s.entries(3, 4, RaftLog.NO_LIMIT)).isSameAs(CompactedException.INSTANCE);
            assertThat(s.entries(4, 5, RaftLog.NO_LIMIT)).isEqualTo(index(4).terms(4));
            assertThat(s.entries(4, 6, RaftLog.NO_LIMIT)).isEqualTo(index(4).terms(4, 5));
            assertThat(s.entries(4, 7, RaftLog.NO_LIMIT)).isEqualTo(index(4).terms(4, 5, 6));
        }
    }

    @Test
    public void entriesStayWithinMaxSizeButReturnAtLeastOne() {
        List<Entry> ents = index(4).terms(4, 5, 6);
        long s4 = ents.get(0).getSerializedSize();
        long s5 = ents.get(1).getSerializedSize();
        long s6 = ents.get(2).getSerializedSize();
        try (WritableStorage w = storageWith(3, 3, ents)) {
            Storage s = w.storage();
            assertThat(s.entries(4, 7, 0)).isEqualTo(index(4).terms(4));
            assertThat(s.entries(4, 7, s4 + s5)).isEqualTo(index(4).terms(4, 5));
            assertThat(s.entries(4, 7, s4 + s5 + s6 / 2)).isEqualTo(index(4).terms(4, 5));
            assertThat(s.entries(4, 7, s4 + s5 + s6 - 1)).isEqualTo(index(4).terms(4, 5));
            assertThat(s.entries(4, 7, s4 + s5 + s6)).isEqualTo(index(4).terms(4, 5, 6));
        }
    }

    @Test
    public void entriesBeyondTheLastIndexPanic() {
        try (WritableStorage w = storageOf345()) {
            assertThatThrownBy(() -> w.storage().entries(4, 7, RaftLog.NO_LIMIT))
                    .isInstanceOf(RaftPanicException.class)
                    .hasMessage("entries' hi(7) is out of bound lastindex(5)");
        }
    }

    @Test
    public void returnedEntriesDoNotChangeWhenTheLogIsRewritten() {
        try (WritableStorage w = storageOf345()) {
            List<Entry> before = w.storage().entries(4, 6, RaftLog.NO_LIMIT);

            w.append(index(4).terms(6, 6));

            assertThat(before).isEqualTo(index(4).terms(4, 5));
            assertThat(w.storage().entries(4, 6, RaftLog.NO_LIMIT)).isEqualTo(index(4).terms(6, 6));
        }
    }

    @Test
    public void lastIndexFollowsAppends() {
        try (WritableStorage w = storageOf345()) {
            assertThat(w.storage().lastIndex()).isEqualTo(5);
            w.append(index(6).terms(5));
            assertThat(w.storage().lastIndex()).isEqualTo(6);
        }
    }

    @Test
    public void firstIndexFollowsCompaction() {
        try (WritableStorage w = storageOf345()) {
            assertThat(w.storage().firstIndex()).isEqualTo(4);
            w.compact(4);
            assertThat(w.storage().firstIndex()).isEqualTo(5);
        }
    }

    @Test
    public void compactingAtOrBeforeTheCompactedEntryIsRefused() {
        for (long i : new long[] {2, 3}) {
            try (WritableStorage w = storageOf345()) {
                assertThatThrownBy(() -> w.compact(i)).isSameAs(CompactedException.INSTANCE);
                assertLog(w.storage(), index(3).terms(3, 4, 5));
            }
        }
    }

    @Test
    public void compactionKeepsTheTermOfTheNewCompactedEntry() {
        try (WritableStorage w = storageOf345()) {
            w.compact(4);
            assertLog(w.storage(), index(4).terms(4, 5));
        }
        try (WritableStorage w = storageOf345()) {
            w.compact(5);
            assertLog(w.storage(), index(5).terms(5));
        }
    }

    @Test
    public void compactingBeyondTheLastIndexPanics() {
        try (WritableStorage w = storageOf345()) {
            assertThatThrownBy(() -> w.compact(6))
                    .isInstanceOf(RaftPanicException.class)
                    .hasMessage("compact 6 is out of bound lastindex(5)");
        }
    }

    private void assertAppendGives(List<Entry> toAppend, List<Entry> want) {
        try (WritableStorage w = storageOf345()) {
            w.append(toAppend);
            assertLog(w.storage(), want);
        }
    }

    @Test
    public void appendingOnlyCompactedEntriesChangesNothing() {
        assertAppendGives(index(1).terms(1, 2), index(3).terms(3, 4, 5));
    }

    @Test
    public void appendingEntriesAlreadyHeldChangesNothing() {
        assertAppendGives(index(3).terms(3, 4, 5), index(3).terms(3, 4, 5));
    }

    @Test
    public void appendingAConflictingSuffixReplacesIt() {
        assertAppendGives(index(3).terms(3, 6, 6), index(3).terms(3, 6, 6));
    }

    @Test
    public void appendingALongerLogExtendsIt() {
        assertAppendGives(index(3).terms(3, 4, 5, 5), index(3).terms(3, 4, 5, 5));
    }

    @Test
    public void appendingFromBeforeTheCompactedEntrySkipsItThenTruncates() {
        assertAppendGives(index(2).terms(3, 3, 5), index(3).terms(3, 5));
    }

    @Test
    public void appendingInsideTheLogTruncatesTheRest() {
        assertAppendGives(index(4).terms(5), index(3).terms(3, 5));
    }

    @Test
    public void appendingRightAfterTheLastEntryExtendsTheLog() {
        assertAppendGives(index(6).terms(5), index(3).terms(3, 4, 5, 5));
    }

    @Test
    public void appendingNothingChangesNothing() {
        assertAppendGives(List.of(), index(3).terms(3, 4, 5));
    }

    @Test
    public void appendingAfterAGapPanics() {
        try (WritableStorage w = storageOf345()) {
            assertThatThrownBy(() -> w.append(index(7).terms(5)))
                    .isInstanceOf(RaftPanicException.class)
                    .hasMessage("missing log entry [last: 5, append at: 7]");
        }
    }

    @Test
    public void applyingASnapshotReplacesTheLog() {
        ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
        Snapshot snap = Snapshot.newBuilder()
                .setData(ByteString.copyFromUtf8("data"))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(4).setTerm(4).setConfState(cs))
                .build();
        try (WritableStorage w = newStorage()) {
            w.append(index(1).terms(1, 1, 2, 2, 3, 3));

            w.applySnapshot(snap);

            Storage s = w.storage();
            assertThat(s.snapshot()).isEqualTo(snap);
            assertThat(s.initialState().confState()).isEqualTo(cs);
            assertThat(s.firstIndex()).isEqualTo(5);
            assertThat(s.lastIndex()).isEqualTo(4);
            assertThat(s.term(4)).isEqualTo(4);
        }
    }

    @Test
    public void applyingAnOlderSnapshotIsRefused() {
        ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
        try (WritableStorage w = newStorage()) {
            w.applySnapshot(Snapshot.newBuilder()
                    .setMetadata(SnapshotMetadata.newBuilder().setIndex(4).setTerm(4).setConfState(cs)).build());
            Snapshot older = Snapshot.newBuilder()
                    .setMetadata(SnapshotMetadata.newBuilder().setIndex(3).setTerm(3).setConfState(cs)).build();

            assertThatThrownBy(() -> w.applySnapshot(older)).isSameAs(SnapOutOfDateException.INSTANCE);
            assertThat(w.storage().snapshot().getMetadata().getIndex()).isEqualTo(4);
        }
    }

    @Test
    public void aBootstrapSnapshotWithOnlyAConfStateIsAccepted() {
        ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
        Snapshot bootstrap = Snapshot.newBuilder()
                .setData(ByteString.copyFromUtf8("data"))
                .setMetadata(SnapshotMetadata.newBuilder().setConfState(cs))
                .build();
        try (WritableStorage w = newStorage()) {
            w.applySnapshot(bootstrap);

            assertThat(w.storage().initialState().confState()).isEqualTo(cs);
            // An index-0 snapshot does not block the first real one.
            w.applySnapshot(snapshot(1, 1));
            assertThat(w.storage().firstIndex()).isEqualTo(2);
        }
    }

    @Test
    public void initialStateReturnsTheSavedHardState() {
        try (WritableStorage w = newStorage()) {
            assertThat(w.storage().initialState().hardState()).isEqualTo(HardState.getDefaultInstance());
            assertThat(w.storage().initialState().confState()).isEqualTo(ConfState.getDefaultInstance());

            HardState hs = HardState.newBuilder().setTerm(3).setVote(2).setCommit(5).build();
            w.setHardState(hs);

            assertThat(w.storage().initialState().hardState()).isEqualTo(hs);
        }
    }
}
