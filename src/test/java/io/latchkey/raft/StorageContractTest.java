package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TEMPORARY stand-in for the raft-core branch's contract test of the same name and shape, so
 * that the storage branch compiles and runs its implementation against MemoryStorage's
 * semantics (etcd-io/raft storage_test.go). Drop this commit when merging.
 */
public abstract class StorageContractTest {
    protected abstract WritableStorage newStorage();

    public interface WritableStorage extends AutoCloseable {
        Storage storage();

        void append(List<Entry> entries);      // with conflict truncation

        void applySnapshot(Snapshot snapshot); // replaces log; throws SnapOutOfDateException if older

        void compact(long compactIndex);

        void setHardState(HardState hardState);

        @Override
        default void close() {
        }
    }

    private static List<Entry> entries(long firstIndex, long... terms) {
        List<Entry> result = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            result.add(Entry.newBuilder().setIndex(firstIndex + i).setTerm(terms[i]).build());
        }
        return result;
    }

    private static Snapshot snapshot(long index, long term) {
        return Snapshot.newBuilder().setData(ByteString.copyFromUtf8("data"))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term)
                        .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)))
                .build();
    }

    /** MemoryStorage{ents: index(3).terms(3, 4, 5)}: origin (3, 3), then entries 4 and 5. */
    private WritableStorage logAt3With4And5() {
        WritableStorage s = newStorage();
        s.applySnapshot(snapshot(3, 3));
        s.append(entries(4, 4, 5));
        return s;
    }

    @Test
    void termIsKnownFromTheOriginToTheLastIndex() {
        try (WritableStorage s = logAt3With4And5()) {
            assertThatThrownBy(() -> s.storage().term(2)).isSameAs(CompactedException.INSTANCE);
            assertThat(s.storage().term(3)).isEqualTo(3);
            assertThat(s.storage().term(4)).isEqualTo(4);
            assertThat(s.storage().term(5)).isEqualTo(5);
            assertThatThrownBy(() -> s.storage().term(6)).isSameAs(UnavailableException.INSTANCE);
        }
    }

    @Test
    void entriesRespectCompactionAndMaxSize() {
        try (WritableStorage s = logAt3With4And5()) {
            s.append(entries(6, 6));
            List<Entry> all = entries(4, 4, 5, 6);
            int size4 = all.get(0).getSerializedSize();
            int size5 = all.get(1).getSerializedSize();
            int size6 = all.get(2).getSerializedSize();
            assertThatThrownBy(() -> s.storage().entries(2, 6, Long.MAX_VALUE)).isSameAs(CompactedException.INSTANCE);
            assertThatThrownBy(() -> s.storage().entries(3, 4, Long.MAX_VALUE)).isSameAs(CompactedException.INSTANCE);
            assertThat(s.storage().entries(4, 5, Long.MAX_VALUE)).isEqualTo(entries(4, 4));
            assertThat(s.storage().entries(4, 7, Long.MAX_VALUE)).isEqualTo(all);
            assertThat(s.storage().entries(4, 7, 0)).isEqualTo(entries(4, 4));
            assertThat(s.storage().entries(4, 7, size4 + size5)).isEqualTo(entries(4, 4, 5));
            assertThat(s.storage().entries(4, 7, size4 + size5 + size6 - 1)).isEqualTo(entries(4, 4, 5));
            assertThat(s.storage().entries(4, 7, size4 + size5 + size6)).isEqualTo(all);
        }
    }

    @Test
    void firstAndLastIndexFollowAppendAndCompact() {
        try (WritableStorage s = logAt3With4And5()) {
            assertThat(s.storage().firstIndex()).isEqualTo(4);
            assertThat(s.storage().lastIndex()).isEqualTo(5);
            s.append(entries(6, 5));
            assertThat(s.storage().lastIndex()).isEqualTo(6);
            s.compact(4);
            assertThat(s.storage().firstIndex()).isEqualTo(5);
            assertThat(s.storage().term(4)).isEqualTo(4);
            assertThatThrownBy(() -> s.compact(4)).isSameAs(CompactedException.INSTANCE);
            assertThatThrownBy(() -> s.compact(3)).isSameAs(CompactedException.INSTANCE);
        }
    }

    @Test
    void appendTruncatesConflictingEntriesAndSkipsCompactedOnes() {
        try (WritableStorage s = logAt3With4And5()) {
            s.append(entries(1, 1, 2));
            assertThat(s.storage().entries(4, 6, Long.MAX_VALUE)).isEqualTo(entries(4, 4, 5));
            s.append(entries(2, 3, 3, 5));
            assertThat(s.storage().lastIndex()).isEqualTo(4);
            assertThat(s.storage().entries(4, 5, Long.MAX_VALUE)).isEqualTo(entries(4, 5));
            s.append(entries(5, 5, 5));
            s.append(entries(5, 6));
            assertThat(s.storage().lastIndex()).isEqualTo(5);
            assertThat(s.storage().entries(4, 6, Long.MAX_VALUE)).isEqualTo(entries(4, 5, 6));
        }
    }

    @Test
    void applySnapshotReplacesTheLogAndRejectsOlderOnes() {
        try (WritableStorage s = logAt3With4And5()) {
            s.applySnapshot(snapshot(10, 7));
            assertThat(s.storage().firstIndex()).isEqualTo(11);
            assertThat(s.storage().lastIndex()).isEqualTo(10);
            assertThat(s.storage().term(10)).isEqualTo(7);
            assertThat(s.storage().snapshot().getMetadata()).isEqualTo(snapshot(10, 7).getMetadata());
            assertThat(s.storage().initialState().confState()).isEqualTo(snapshot(10, 7).getMetadata().getConfState());
            assertThatThrownBy(() -> s.applySnapshot(snapshot(9, 7))).isSameAs(SnapOutOfDateException.INSTANCE);
        }
    }

    @Test
    void bootstrapSnapshotCarriesOnlyTheConfState() {
        try (WritableStorage s = newStorage()) {
            s.applySnapshot(snapshot(0, 0));
            assertThat(s.storage().firstIndex()).isEqualTo(1);
            assertThat(s.storage().lastIndex()).isEqualTo(0);
            assertThatThrownBy(() -> s.storage().entries(1, 1, Long.MAX_VALUE))
                    .isSameAs(UnavailableException.INSTANCE);
        }
    }

    @Test
    void hardStateIsWhatWasLastSet() {
        try (WritableStorage s = newStorage()) {
            assertThat(s.storage().initialState().hardState()).isEqualTo(HardState.getDefaultInstance());
            HardState hs = HardState.newBuilder().setTerm(2).setVote(1).setCommit(0).build();
            s.setHardState(hs);
            assertThat(s.storage().initialState().hardState()).isEqualTo(hs);
        }
    }
}
