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

class MemoryStorageTest extends StorageContractTest {

    @Override
    protected WritableStorage newStorage() {
        MemoryStorage ms = new MemoryStorage(TestLoggers.discard());
        return new WritableStorage() {
            @Override
            public Storage storage() {
                return ms;
            }

            @Override
            public void append(List<Entry> entries) {
                ms.append(entries);
            }

            @Override
            public void applySnapshot(Snapshot snapshot) {
                ms.applySnapshot(snapshot);
            }

            @Override
            public void compact(long compactIndex) {
                ms.compact(compactIndex);
            }

            @Override
            public void setHardState(HardState hardState) {
                ms.setHardState(hardState);
            }
        };
    }

    /** Entries 3..5 with terms 3..5, entry 3 compacted. */
    private static MemoryStorage storageOf345() {
        MemoryStorage ms = new MemoryStorage(TestLoggers.discard());
        ms.applySnapshot(Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(3).setTerm(3)).build());
        ms.append(index(4).terms(4, 5));
        return ms;
    }

    private static final ConfState VOTERS_123 = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
    private static final ByteString DATA = ByteString.copyFromUtf8("data");

    private static Snapshot expectedSnapshot(long index, long term) {
        return Snapshot.newBuilder()
                .setData(DATA)
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term).setConfState(VOTERS_123))
                .build();
    }

    @Test
    void createSnapshotRecordsTheTermOfItsIndex() {
        for (long i : new long[] {4, 5}) {
            MemoryStorage ms = storageOf345();

            Snapshot snap = ms.createSnapshot(i, VOTERS_123, DATA);

            assertThat(snap).isEqualTo(expectedSnapshot(i, i));
            assertThat(ms.snapshot()).isEqualTo(snap);
        }
    }

    @Test
    void createSnapshotWithoutConfStateKeepsThePreviousOne() {
        MemoryStorage ms = storageOf345();
        ms.createSnapshot(4, VOTERS_123, DATA);

        Snapshot snap = ms.createSnapshot(5, null, null);

        assertThat(snap.getMetadata().getConfState()).isEqualTo(VOTERS_123);
        assertThat(snap.hasData()).isFalse();
    }

    @Test
    void createSnapshotAtOrBelowTheCurrentOneIsRefused() {
        MemoryStorage ms = storageOf345();
        ms.createSnapshot(4, VOTERS_123, DATA);

        assertThatThrownBy(() -> ms.createSnapshot(4, VOTERS_123, DATA)).isSameAs(SnapOutOfDateException.INSTANCE);
        assertThatThrownBy(() -> ms.createSnapshot(3, VOTERS_123, DATA)).isSameAs(SnapOutOfDateException.INSTANCE);
    }

    @Test
    void createSnapshotBeyondTheLastIndexPanics() {
        MemoryStorage ms = storageOf345();
        assertThatThrownBy(() -> ms.createSnapshot(6, VOTERS_123, DATA))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("snapshot 6 is out of bound lastindex(5)");
    }

    @Test
    void compactionAfterASnapshotKeepsTheSnapshot() {
        MemoryStorage ms = storageOf345();
        Snapshot snap = ms.createSnapshot(5, VOTERS_123, DATA);

        ms.compact(5);

        assertThat(ms.snapshot()).isEqualTo(snap);
        assertThat(ms.firstIndex()).isEqualTo(6);
        assertThat(ms.term(5)).isEqualTo(5);
    }
}
