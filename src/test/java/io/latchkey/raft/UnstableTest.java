package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class UnstableTest {
    private static final long UNKNOWN = Unstable.UNKNOWN;

    private static Snapshot snap(long index, long term) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term))
                .build();
    }

    private static Unstable unstable(List<Entry> entries, long offset, long offsetInProgress, Snapshot snapshot) {
        Unstable u = new Unstable(offset, TestLoggers.discard());
        u.entries = new ArrayList<>(entries);
        u.offsetInProgress = offsetInProgress;
        u.snapshot = snapshot;
        return u;
    }

    private static Unstable unstable(List<Entry> entries, long offset, Snapshot snapshot) {
        return unstable(entries, offset, offset, snapshot);
    }

    static Stream<Arguments> firstIndexCases() {
        return Stream.of(
                arguments("entries without snapshot", index(5).terms(1), 5, null, UNKNOWN),
                arguments("empty", List.of(), 0, null, UNKNOWN),
                arguments("entries after snapshot", index(5).terms(1), 5, snap(4, 1), 5L),
                arguments("snapshot only", List.of(), 5, snap(4, 1), 5L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("firstIndexCases")
    void firstIndexIsKnownOnlyFromASnapshot(String scenario, List<Entry> entries, long offset, Snapshot snapshot,
                                            long want) {
        assertThat(unstable(entries, offset, snapshot).maybeFirstIndex()).isEqualTo(want);
    }

    static Stream<Arguments> lastIndexCases() {
        return Stream.of(
                arguments("last entry", index(5).terms(1), 5, null, 5L),
                arguments("last entry wins over snapshot", index(5).terms(1), 5, snap(4, 1), 5L),
                arguments("snapshot when no entries", List.of(), 5, snap(4, 1), 4L),
                arguments("empty", List.of(), 0, null, UNKNOWN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lastIndexCases")
    void lastIndexComesFromEntriesThenSnapshot(String scenario, List<Entry> entries, long offset, Snapshot snapshot,
                                               long want) {
        assertThat(unstable(entries, offset, snapshot).maybeLastIndex()).isEqualTo(want);
    }

    static Stream<Arguments> termCases() {
        return Stream.of(
                arguments("held entry", index(5).terms(1), 5, null, 5, 1L),
                arguments("beyond the entries", index(5).terms(1), 5, null, 6, UNKNOWN),
                arguments("before the entries", index(5).terms(1), 5, null, 4, UNKNOWN),
                arguments("held entry with snapshot", index(5).terms(1), 5, snap(4, 1), 5, 1L),
                arguments("beyond the entries with snapshot", index(5).terms(1), 5, snap(4, 1), 6, UNKNOWN),
                arguments("snapshot index", index(5).terms(1), 5, snap(4, 1), 4, 1L),
                arguments("before the snapshot", index(5).terms(1), 5, snap(4, 1), 3, UNKNOWN),
                arguments("after a lone snapshot", List.of(), 5, snap(4, 1), 5, UNKNOWN),
                arguments("lone snapshot index", List.of(), 5, snap(4, 1), 4, 1L),
                arguments("empty", List.of(), 0, null, 5, UNKNOWN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("termCases")
    void termIsAnsweredFromEntriesOrSnapshot(String scenario, List<Entry> entries, long offset, Snapshot snapshot,
                                             long index, long want) {
        assertThat(unstable(entries, offset, snapshot).maybeTerm(index)).isEqualTo(want);
    }

    @Test
    void restoringASnapshotReplacesEverything() {
        Unstable u = unstable(index(5).terms(1), 5, 6, snap(4, 1));
        u.snapshotInProgress = true;
        Snapshot s = snap(6, 2);

        u.restore(s);

        assertThat(u.offset).isEqualTo(7);
        assertThat(u.offsetInProgress).isEqualTo(7);
        assertThat(u.entries).isEmpty();
        assertThat(u.snapshot).isEqualTo(s);
        assertThat(u.snapshotInProgress).isFalse();
    }

    static Stream<Arguments> nextEntriesCases() {
        return Stream.of(
                arguments("nothing in progress", 5, index(5).terms(1, 1)),
                arguments("first in progress", 6, index(6).terms(1)),
                arguments("all in progress", 7, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nextEntriesCases")
    void nextEntriesSkipsWhatIsBeingWritten(String scenario, long offsetInProgress, List<Entry> want) {
        Unstable u = unstable(index(5).terms(1, 1), 5, offsetInProgress, null);
        assertThat(u.nextEntries()).isEqualTo(want);
        assertThat(u.hasNextEntries()).isEqualTo(!want.isEmpty());
    }

    @Test
    void nextEntriesStayValidAfterTheLogChanges() {
        Unstable u = unstable(index(5).terms(1, 1, 1), 5, null);
        List<Entry> next = u.nextEntries();

        u.truncateAndAppend(index(6).terms(2));
        u.stableTo(new EntryId(1, 5));

        assertThat(next).isEqualTo(index(5).terms(1, 1, 1));
    }

    @Test
    void nextSnapshotIsOnlyTheOneNotBeingWritten() {
        Snapshot s = snap(4, 1);
        assertThat(unstable(List.of(), 0, null).nextSnapshot()).isNull();
        assertThat(unstable(List.of(), 0, s).nextSnapshot()).isEqualTo(s);
        Unstable inProgress = unstable(List.of(), 0, s);
        inProgress.snapshotInProgress = true;
        assertThat(inProgress.nextSnapshot()).isNull();
    }

    static Stream<Arguments> acceptInProgressCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Snapshot s : new Snapshot[] {null, snap(4, 1)}) {
            for (boolean snapInProgress : new boolean[] {false, true}) {
                if (s == null && snapInProgress) {
                    continue;
                }
                boolean wantSnap = s != null;
                cases.add(arguments(List.of(), s, 5, snapInProgress, 5, wantSnap));
                cases.add(arguments(index(5).terms(1), s, 5, snapInProgress, 6, wantSnap));
                cases.add(arguments(index(5).terms(1, 1), s, 5, snapInProgress, 7, wantSnap));
                cases.add(arguments(index(5).terms(1, 1), s, 6, snapInProgress, 7, wantSnap));
                cases.add(arguments(index(5).terms(1, 1), s, 7, snapInProgress, 7, wantSnap));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "entries {0}, snapshot {1}, in progress up to {2}, snapshot in progress {3}")
    @MethodSource("acceptInProgressCases")
    void acceptingMarksAllEntriesAndTheSnapshotInProgress(List<Entry> entries, Snapshot snapshot,
                                                          long offsetInProgress, boolean snapshotInProgress,
                                                          long wantOffsetInProgress, boolean wantSnapshotInProgress) {
        Unstable u = unstable(entries, 5, offsetInProgress, snapshot);
        u.snapshotInProgress = snapshotInProgress;

        u.acceptInProgress();

        assertThat(u.offsetInProgress).isEqualTo(wantOffsetInProgress);
        assertThat(u.snapshotInProgress).isEqualTo(wantSnapshotInProgress);
    }

    static Stream<Arguments> stableToCases() {
        return Stream.of(
                arguments("empty log", List.of(), 0, 0, null, 5, 1, 0, 0, 0),
                arguments("the only entry", index(5).terms(1), 5, 6, null, 5, 1, 6, 6, 0),
                arguments("the first of two", index(5).terms(1, 1), 5, 6, null, 5, 1, 6, 6, 1),
                arguments("the first, more in progress", index(5).terms(1, 1), 5, 7, null, 5, 1, 6, 7, 1),
                arguments("term mismatch", index(6).terms(2), 6, 7, null, 6, 1, 6, 7, 1),
                arguments("older entry", index(5).terms(1), 5, 6, null, 4, 1, 5, 6, 1),
                arguments("older entry, other term", index(5).terms(1), 5, 6, null, 4, 2, 5, 6, 1),
                arguments("the only entry after snapshot", index(5).terms(1), 5, 6, snap(4, 1), 5, 1, 6, 6, 0),
                arguments("the first of two after snapshot", index(5).terms(1, 1), 5, 6, snap(4, 1), 5, 1, 6, 6, 1),
                arguments("the first, more in progress, after snapshot", index(5).terms(1, 1), 5, 7, snap(4, 1),
                        5, 1, 6, 7, 1),
                arguments("term mismatch after snapshot", index(6).terms(2), 6, 7, snap(5, 1), 6, 1, 6, 7, 1),
                arguments("the snapshot itself", index(5).terms(1), 5, 6, snap(4, 1), 4, 1, 5, 6, 1),
                arguments("snapshot index, other term", index(5).terms(2), 5, 6, snap(4, 2), 4, 1, 5, 6, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stableToCases")
    void stableToDropsOnlyAMatchingPrefix(String scenario, List<Entry> entries, long offset, long offsetInProgress,
                                          Snapshot snapshot, long index, long term,
                                          long wantOffset, long wantOffsetInProgress, int wantLen) {
        Unstable u = unstable(entries, offset, offsetInProgress, snapshot);

        u.stableTo(new EntryId(term, index));

        assertThat(u.offset).isEqualTo(wantOffset);
        assertThat(u.offsetInProgress).isEqualTo(wantOffsetInProgress);
        assertThat(u.entries).hasSize(wantLen);
    }

    static Stream<Arguments> truncateAndAppendCases() {
        return Stream.of(
                arguments("append at the end", index(5).terms(1), 5, 5, index(6).terms(1, 1),
                        5, 5, index(5).terms(1, 1, 1)),
                arguments("append at the end, first in progress", index(5).terms(1), 5, 6, index(6).terms(1, 1),
                        5, 6, index(5).terms(1, 1, 1)),
                arguments("replace from the offset", index(5).terms(1), 5, 5, index(5).terms(2, 2),
                        5, 5, index(5).terms(2, 2)),
                arguments("replace from before the offset", index(5).terms(1), 5, 5, index(4).terms(2, 2, 2),
                        4, 4, index(4).terms(2, 2, 2)),
                arguments("replace entries in progress", index(5).terms(1), 5, 6, index(5).terms(2, 2),
                        5, 5, index(5).terms(2, 2)),
                arguments("truncate the tail", index(5).terms(1, 1, 1), 5, 5, index(6).terms(2),
                        5, 5, index(5).terms(1, 2)),
                arguments("truncate the last entry", index(5).terms(1, 1, 1), 5, 5, index(7).terms(2, 2),
                        5, 5, index(5).terms(1, 1, 2, 2)),
                arguments("truncate after what is in progress", index(5).terms(1, 1, 1), 5, 6, index(6).terms(2),
                        5, 6, index(5).terms(1, 2)),
                arguments("truncate what is in progress", index(5).terms(1, 1, 1), 5, 7, index(6).terms(2),
                        5, 6, index(5).terms(1, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("truncateAndAppendCases")
    void truncateAndAppendReplacesTheConflictingSuffix(String scenario, List<Entry> entries, long offset,
                                                       long offsetInProgress, List<Entry> toAppend,
                                                       long wantOffset, long wantOffsetInProgress,
                                                       List<Entry> wantEntries) {
        Unstable u = unstable(entries, offset, offsetInProgress, null);

        u.truncateAndAppend(toAppend);

        assertThat(u.offset).isEqualTo(wantOffset);
        assertThat(u.offsetInProgress).isEqualTo(wantOffsetInProgress);
        assertThat(u.entries).isEqualTo(wantEntries);
    }

    @Test
    void appendingAfterAGapPanics() {
        Unstable u = unstable(index(5).terms(1), 5, null);
        assertThatThrownBy(() -> u.truncateAndAppend(index(8).terms(1)))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("unstable.slice[5,8) out of bound [5,6]");
    }

    @Test
    void sliceIsACopyThatSurvivesTruncation() {
        Unstable u = unstable(index(5).terms(1, 1, 1), 5, null);
        List<Entry> slice = u.slice(5, 8);

        u.truncateAndAppend(index(6).terms(2, 2));

        assertThat(slice).isEqualTo(index(5).terms(1, 1, 1));
        assertThat(u.slice(6, 8)).isEqualTo(index(6).terms(2, 2));
        assertThatThrownBy(() -> slice.add(slice.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void slicingOutsideTheEntriesPanics() {
        Unstable u = unstable(index(5).terms(1, 1), 5, null);
        assertThatThrownBy(() -> u.slice(6, 5))
                .isInstanceOf(RaftPanicException.class).hasMessage("invalid unstable.slice 6 > 5");
        assertThatThrownBy(() -> u.slice(4, 6))
                .isInstanceOf(RaftPanicException.class).hasMessage("unstable.slice[4,6) out of bound [5,7]");
        assertThatThrownBy(() -> u.slice(5, 8))
                .isInstanceOf(RaftPanicException.class).hasMessage("unstable.slice[5,8) out of bound [5,7]");
    }
}
