package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.EntrySizes.entsSize;
import static io.latchkey.raft.RaftLog.NO_LIMIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class RaftLogTest {
    private static final Logger LOGGER = TestLoggers.discard();

    private static MemoryStorage storage() {
        return new MemoryStorage(LOGGER);
    }

    private static MemoryStorage storageFromSnapshot(long index, long term) {
        MemoryStorage s = storage();
        s.applySnapshot(snapshot(index, term));
        return s;
    }

    private static Snapshot snapshot(long index, long term) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term))
                .build();
    }

    private static RaftLog logWith(List<Entry> unstable) {
        RaftLog log = RaftLog.newLog(storage(), LOGGER);
        log.append(unstable);
        return log;
    }

    private static List<Entry> concat(List<Entry> a, List<Entry> b) {
        List<Entry> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static Stream<Arguments> conflicts() {
        return Stream.of(
                arguments("no entries", List.of(), 0L),
                arguments("all held", index(1).terms(1, 2, 3), 0L),
                arguments("suffix held", index(2).terms(2, 3), 0L),
                arguments("last held", index(3).terms(3), 0L),
                arguments("held plus new", index(1).terms(1, 2, 3, 4, 4), 4L),
                arguments("suffix plus new", index(2).terms(2, 3, 4, 5), 4L),
                arguments("last plus new", index(3).terms(3, 4, 4), 4L),
                arguments("only new", index(4).terms(4, 4), 4L),
                arguments("conflict at the first", index(1).terms(4, 4), 1L),
                arguments("conflict at the second", index(2).terms(1, 4, 4), 2L),
                arguments("conflict at the third", index(3).terms(1, 2, 4, 4), 3L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conflicts")
    void findConflictReturnsTheFirstDifferingOrNewIndex(String scenario, List<Entry> ents, long want) {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        assertThat(log.findConflict(ents)).isEqualTo(want);
    }

    @Test
    void findConflictLogsTheConflictingTerms() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RaftLog log = RaftLog.newLog(storage(), new DefaultLogger(new PrintStream(out, true, StandardCharsets.UTF_8), false));
        log.append(index(1).terms(1, 2, 3));

        log.findConflict(index(2).terms(1, 4, 4));

        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains(" INFO: found conflict at index 2 [existing term: 2, conflicting term: 1]\n");
    }

    static Stream<Arguments> conflictsByTerm() {
        List<Entry> fromStart = index(0).terms(0, 2, 2, 5, 5, 5);
        List<Entry> compacted = index(10).terms(3, 3, 3, 4, 4, 4);
        return Stream.of(
                arguments("beyond the log", fromStart, 100, 2, 100L),
                arguments("last entry, higher term", fromStart, 5, 6, 5L),
                arguments("last entry, same term", fromStart, 5, 5, 5L),
                arguments("skip a newer term", fromStart, 5, 4, 2L),
                arguments("skip down to the term", fromStart, 5, 2, 2L),
                arguments("older than every term", fromStart, 5, 1, 0L),
                arguments("first entry, same term", fromStart, 1, 2, 1L),
                arguments("first entry, older term", fromStart, 1, 1, 0L),
                arguments("index zero", fromStart, 0, 0, 0L),
                arguments("beyond a compacted log", compacted, 30, 3, 30L),
                arguments("compacted log, higher term", compacted, 14, 9, 14L),
                arguments("compacted log, same term", compacted, 14, 4, 14L),
                arguments("compacted log, older term", compacted, 14, 3, 12L),
                arguments("compacted log, down to the compacted entry", compacted, 14, 2, 9L),
                arguments("first available entry, higher term", compacted, 11, 5, 11L),
                arguments("compacted entry, higher term", compacted, 10, 5, 10L),
                arguments("compacted entry, same term", compacted, 10, 3, 10L),
                arguments("compacted entry, older term", compacted, 10, 2, 9L),
                arguments("below the compacted entry", compacted, 9, 2, 9L),
                arguments("far below the compacted entry", compacted, 4, 2, 4L),
                arguments("index zero in a compacted log", compacted, 0, 0, 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conflictsByTerm")
    void findConflictByTermGuessesTheLastPossibleMatch(String scenario, List<Entry> ents, long index, long term,
                                                       long want) {
        RaftLog log = RaftLog.newLog(storageFromSnapshot(ents.get(0).getIndex(), ents.get(0).getTerm()), LOGGER);
        log.append(ents.subList(1, ents.size()));

        EntryId got = log.findConflictByTerm(index, term);

        assertThat(got.index()).isEqualTo(want);
        assertThat(got.term()).isEqualTo(log.zeroTermOnOutOfBounds(want));
    }

    static Stream<Arguments> upToDateCases() {
        // Our log ends at (index 3, term 3).
        return Stream.of(
                arguments("higher term, shorter", 2, 4, true),
                arguments("higher term, same length", 3, 4, true),
                arguments("higher term, longer", 4, 4, true),
                arguments("lower term, shorter", 2, 2, false),
                arguments("lower term, same length", 3, 2, false),
                arguments("lower term, longer", 4, 2, false),
                arguments("same term, shorter", 2, 3, false),
                arguments("same term, same length", 3, 3, true),
                arguments("same term, longer", 4, 3, true));
    }

    /** Raft paper §5.4.1: the later last term wins; on equal terms the longer log. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("upToDateCases")
    void isUpToDateComparesLastTermThenLength(String scenario, long lastIndex, long term, boolean want) {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        assertThat(log.isUpToDate(new EntryId(term, lastIndex))).isEqualTo(want);
    }

    static Stream<Arguments> appends() {
        return Stream.of(
                arguments("nothing", List.of(), 2L, index(1).terms(1, 2), 3L),
                arguments("after the last", index(3).terms(2), 3L, index(1).terms(1, 2, 2), 3L),
                arguments("conflict at index 1", index(1).terms(2), 1L, index(1).terms(2), 1L),
                arguments("conflict at index 2", index(2).terms(3, 3), 3L, index(1).terms(1, 3, 3), 2L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("appends")
    void appendTruncatesWhatFollowsTheFirstNewIndex(String scenario, List<Entry> ents, long wantIndex,
                                                    List<Entry> wantEntries, long wantUnstableOffset) {
        MemoryStorage storage = storage();
        storage.append(index(1).terms(1, 2));
        RaftLog log = RaftLog.newLog(storage, LOGGER);

        assertThat(log.append(ents)).isEqualTo(wantIndex);
        assertThat(log.entries(1, NO_LIMIT)).isEqualTo(wantEntries);
        assertThat(log.unstable.offset).isEqualTo(wantUnstableOffset);
    }

    @Test
    void appendingBelowTheCommitIndexPanics() {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        log.committed = 2;
        assertThatThrownBy(() -> log.append(index(2).terms(4)))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("after(1) is out of range [committed(2)]");
    }

    static Stream<Arguments> maybeAppends() {
        // The log holds index(1).terms(1, 2, 3) with entry 1 committed.
        return Stream.of(
                arguments("prev term differs", new EntryId(2, 3), 3, index(4).terms(4), false, 1L),
                arguments("prev beyond the log", new EntryId(3, 4), 3, index(5).terms(4), false, 1L),
                arguments("matches the last entry", new EntryId(3, 3), 3, List.of(), true, 3L),
                arguments("commit capped at the last new index", new EntryId(3, 3), 4, List.of(), true, 3L),
                arguments("commit follows the leader", new EntryId(3, 3), 2, List.of(), true, 2L),
                arguments("commit never decreases", new EntryId(3, 3), 0, List.of(), true, 1L),
                arguments("matches the origin", new EntryId(0, 0), 3, List.of(), true, 1L),
                arguments("one new entry", new EntryId(3, 3), 3, index(4).terms(4), true, 3L),
                arguments("one new entry, committed", new EntryId(3, 3), 4, index(4).terms(4), true, 4L),
                arguments("one new entry, commit capped", new EntryId(3, 3), 5, index(4).terms(4), true, 4L),
                arguments("two new entries", new EntryId(3, 3), 5, index(4).terms(4, 4), true, 5L),
                arguments("replace the last entry", new EntryId(2, 2), 3, index(3).terms(4), true, 3L),
                arguments("replace the last two", new EntryId(1, 1), 3, index(2).terms(4), true, 2L),
                arguments("replace and extend", new EntryId(1, 1), 3, index(2).terms(4, 4), true, 3L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("maybeAppends")
    void maybeAppendAppliesAMatchingSliceAndAdvancesCommit(String scenario, EntryId prev, long committed,
                                                           List<Entry> ents, boolean wantOk, long wantCommit) {
        // A high leader term keeps every slice here well formed.
        LogSlice app = new LogSlice(100, prev, ents);
        app.validate();
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        log.committed = 1;

        assertThat(log.maybeAppend(app, committed)).isEqualTo(wantOk);

        assertThat(log.committed).isEqualTo(wantCommit);
        if (wantOk && !ents.isEmpty()) {
            assertThat(log.slice(log.lastIndex() - ents.size() + 1, log.lastIndex() + 1, NO_LIMIT)).isEqualTo(ents);
            assertThat(log.lastIndex()).isEqualTo(app.lastIndex());
        }
    }

    @Test
    void maybeAppendPanicsOnAConflictWithACommittedEntry() {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        log.committed = 1;
        LogSlice app = new LogSlice(100, new EntryId(0, 0), index(1).terms(4));

        assertThatThrownBy(() -> log.maybeAppend(app, 3))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("entry 1 conflict with committed entry [committed(1)]");
    }

    @Test
    void theLogKeepsWorkingAfterStorageCompaction() {
        long lastIndex = 1000;
        long unstableIndex = 750;
        MemoryStorage storage = storage();
        storage.append(index(1).termRange(1, unstableIndex + 1));
        RaftLog log = RaftLog.newLog(storage, LOGGER);
        log.append(index(unstableIndex + 1).termRange(unstableIndex + 1, lastIndex + 1));
        assertThat(log.maybeCommit(log.lastEntryID())).isTrue();
        log.appliedTo(log.committed, 0);

        long offset = 500;
        storage.compact(offset);

        assertThat(log.lastIndex()).isEqualTo(lastIndex);
        for (long j = offset; j <= log.lastIndex(); j++) {
            assertThat(log.term(j)).isEqualTo(j);
            assertThat(log.matchTerm(new EntryId(j, j))).isTrue();
        }
        List<Entry> unstableEnts = log.nextUnstableEnts();
        assertThat(unstableEnts).hasSize(250);
        assertThat(unstableEnts.get(0).getIndex()).isEqualTo(751);

        long prev = log.lastIndex();
        log.append(List.of(Entry.newBuilder().setIndex(prev + 1).setTerm(prev + 1).build()));
        assertThat(log.lastIndex()).isEqualTo(prev + 1);
        assertThat(log.entries(log.lastIndex(), NO_LIMIT)).hasSize(1);
    }

    /**
     * A log compacted up to (3, 1), entry 4 stable, 5 and 6 unstable, committed up to 5; then
     * applied and applying are moved as given.
     */
    private static RaftLog applyingLog(long maxSize, long applied, long applying, long applyingSize,
                                       boolean allowUnstable) {
        List<Entry> ents = index(4).terms(1, 1, 1);
        MemoryStorage storage = storageFromSnapshot(3, 1);
        storage.append(ents.subList(0, 1));
        RaftLog log = RaftLog.newLogWithSize(storage, LOGGER, maxSize);
        log.append(ents);
        log.stableTo(new EntryId(1, 4));
        log.maybeCommit(new EntryId(1, 5));
        log.appliedTo(applied, 0);
        log.acceptApplying(applying, applyingSize, allowUnstable);
        return log;
    }

    static Stream<Arguments> committedEntsCases() {
        List<Entry> ents = index(4).terms(1, 1, 1);
        return Stream.of(
                arguments(3, 3, true, false, false, ents.subList(0, 2)),
                arguments(3, 4, true, false, false, ents.subList(1, 2)),
                arguments(3, 5, true, false, false, List.of()),
                arguments(4, 4, true, false, false, ents.subList(1, 2)),
                arguments(4, 5, true, false, false, List.of()),
                arguments(5, 5, true, false, false, List.of()),
                arguments(3, 3, false, false, false, ents.subList(0, 1)),
                arguments(3, 4, false, false, false, List.of()),
                arguments(3, 5, false, false, false, List.of()),
                arguments(4, 4, false, false, false, List.of()),
                arguments(4, 5, false, false, false, List.of()),
                arguments(5, 5, false, false, false, List.of()),
                arguments(3, 3, true, true, false, List.of()),
                arguments(3, 3, true, false, true, List.of()));
    }

    @ParameterizedTest(name = "applied {0}, applying {1}, allow unstable {2}, paused {3}, snapshot {4}")
    @MethodSource("committedEntsCases")
    void nextCommittedEntsHandsOutWhatIsCommittedAndNotYetApplying(long applied, long applying,
                                                                   boolean allowUnstable, boolean paused,
                                                                   boolean snap, List<Entry> want) {
        RaftLog log = applyingLog(NO_LIMIT, applied, applying, 0, allowUnstable);
        log.applyingEntsPaused = paused;
        if (snap) {
            log.restore(snapshot(4, 1));
        }

        assertThat(log.nextCommittedEnts(allowUnstable)).isEqualTo(want);
        assertThat(log.hasNextCommittedEnts(allowUnstable)).isEqualTo(!want.isEmpty());
    }

    static Stream<Arguments> acceptApplyingCases() {
        long max = 100;
        return Stream.of(
                arguments(3, true, max - 1, true),
                arguments(3, true, max, true),
                arguments(3, true, max + 1, true),
                arguments(4, true, max - 1, true),
                arguments(4, true, max, true),
                arguments(4, true, max + 1, true),
                arguments(5, true, max - 1, false),
                arguments(5, true, max, true),
                arguments(5, true, max + 1, true),
                arguments(3, false, max - 1, true),
                arguments(3, false, max, true),
                arguments(3, false, max + 1, true),
                arguments(4, false, max - 1, false),
                arguments(4, false, max, true),
                arguments(4, false, max + 1, true),
                arguments(5, false, max - 1, false),
                arguments(5, false, max, true),
                arguments(5, false, max + 1, true));
    }

    @ParameterizedTest(name = "applying {0}, allow unstable {1}, size {2}")
    @MethodSource("acceptApplyingCases")
    void acceptApplyingPausesWhenTheBudgetIsUsedOrTheHandOutWasCut(long index, boolean allowUnstable, long size,
                                                                   boolean wantPaused) {
        RaftLog log = applyingLog(100, 3, 3, 0, allowUnstable);

        log.acceptApplying(index, size, allowUnstable);

        assertThat(log.applyingEntsPaused).isEqualTo(wantPaused);
    }

    static Stream<Arguments> appliedToCases() {
        long max = 100;
        long overshoot = 5;
        return Stream.of(
                arguments("part applied, still over", 4, overshoot - 1, max + 1, true),
                arguments("part applied, at the cap", 4, overshoot, max, true),
                arguments("part applied, under the cap", 4, overshoot + 1, max - 1, false),
                arguments("all applied, still over", 5, overshoot - 1, max + 1, true),
                arguments("all applied, at the cap", 5, overshoot, max, true),
                arguments("all applied, under the cap", 5, overshoot + 1, max - 1, false),
                arguments("every byte applied", 4, max + overshoot, 0L, false),
                arguments("more bytes than outstanding", 4, max + overshoot + 1, 0L, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("appliedToCases")
    void appliedToReleasesTheApplyingBudget(String scenario, long index, long size, long wantApplyingSize,
                                            boolean wantPaused) {
        RaftLog log = applyingLog(100, 3, 5, 105, false);

        log.appliedTo(index, size);

        assertThat(log.applied).isEqualTo(index);
        assertThat(log.applying).isEqualTo(5);
        assertThat(log.applyingEntsSize).isEqualTo(wantApplyingSize);
        assertThat(log.applyingEntsPaused).isEqualTo(wantPaused);
    }

    @Test
    void appliedToOutsideAppliedAndCommittedPanics() {
        RaftLog log = applyingLog(NO_LIMIT, 4, 4, 0, true);
        assertThatThrownBy(() -> log.appliedTo(3, 0))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("applied(3) is out of range [prevApplied(4), committed(5)]");
        assertThatThrownBy(() -> log.appliedTo(6, 0))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("applied(6) is out of range [prevApplied(4), committed(5)]");
    }

    @Test
    void nextUnstableEntsAreEmptyWhenEverythingIsStable() {
        List<Entry> previous = index(1).terms(1, 2);
        MemoryStorage storage = storage();
        storage.append(previous);
        RaftLog log = RaftLog.newLog(storage, LOGGER);

        assertThat(log.nextUnstableEnts()).isEmpty();
        assertThat(log.hasNextUnstableEnts()).isFalse();
        assertThat(log.unstable.offset).isEqualTo(3);
    }

    @Test
    void nextUnstableEntsReturnsTheUnstableTailUntilStable() {
        List<Entry> previous = index(1).terms(1, 2);
        RaftLog log = logWith(previous);

        List<Entry> ents = log.nextUnstableEnts();
        assertThat(log.hasNextUnstableEnts()).isTrue();
        log.stableTo(EntryId.of(ents.get(ents.size() - 1)));

        assertThat(ents).isEqualTo(previous);
        assertThat(log.unstable.offset).isEqualTo(3);
        assertThat(log.hasNextOrInProgressUnstableEnts()).isFalse();
    }

    @Test
    void acceptedUnstableEntsAreInProgressUntilStable() {
        RaftLog log = logWith(index(1).terms(1, 2));

        log.acceptUnstable();

        assertThat(log.hasNextUnstableEnts()).isFalse();
        assertThat(log.hasNextOrInProgressUnstableEnts()).isTrue();
        assertThat(log.nextUnstableEnts()).isEmpty();
    }

    @Test
    void commitToNeverDecreases() {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        log.committed = 2;

        log.commitTo(3);
        assertThat(log.committed).isEqualTo(3);
        log.commitTo(1);
        assertThat(log.committed).isEqualTo(3);
    }

    @Test
    void commitToBeyondTheLastIndexPanics() {
        RaftLog log = logWith(index(1).terms(1, 2, 3));
        log.committed = 2;
        assertThatThrownBy(() -> log.commitTo(4))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("tocommit(4) is out of range [lastIndex(3)]. Was the raft log corrupted, truncated, or lost?");
    }

    static Stream<Arguments> stableToCases() {
        return Stream.of(
                arguments("first entry", 1, 1, 2L),
                arguments("second entry", 2, 2, 3L),
                arguments("wrong term", 2, 1, 1L),
                arguments("beyond the log", 3, 1, 1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stableToCases")
    void stableToMovesTheUnstableOffsetPastMatchingEntries(String scenario, long index, long term, long want) {
        RaftLog log = logWith(index(1).terms(1, 2));
        log.stableTo(new EntryId(term, index));
        assertThat(log.unstable.offset).isEqualTo(want);
    }

    static Stream<Arguments> stableToWithSnapCases() {
        long snapi = 5;
        long snapt = 2;
        List<Entry> none = List.of();
        List<Entry> one = index(snapi + 1).terms(snapt);
        return Stream.of(
                arguments(snapi + 1, snapt, none, snapi + 1),
                arguments(snapi, snapt, none, snapi + 1),
                arguments(snapi - 1, snapt, none, snapi + 1),
                arguments(snapi + 1, snapt + 1, none, snapi + 1),
                arguments(snapi, snapt + 1, none, snapi + 1),
                arguments(snapi - 1, snapt + 1, none, snapi + 1),
                arguments(snapi + 1, snapt, one, snapi + 2),
                arguments(snapi, snapt, one, snapi + 1),
                arguments(snapi - 1, snapt, one, snapi + 1),
                arguments(snapi + 1, snapt + 1, one, snapi + 1),
                arguments(snapi, snapt + 1, one, snapi + 1),
                arguments(snapi - 1, snapt + 1, one, snapi + 1));
    }

    @ParameterizedTest(name = "stable to ({0}, term {1}) with {2}")
    @MethodSource("stableToWithSnapCases")
    void stableToAfterAStoredSnapshotOnlyMovesForUnstableEntries(long index, long term, List<Entry> newEnts,
                                                                 long want) {
        RaftLog log = RaftLog.newLog(storageFromSnapshot(5, 2), LOGGER);
        log.append(newEnts);
        log.stableTo(new EntryId(term, index));
        assertThat(log.unstable.offset).isEqualTo(want);
    }

    @Test
    void allEntriesShrinkAsStorageCompacts() {
        MemoryStorage storage = storage();
        storage.append(index(1).termRange(1, 1001));
        RaftLog log = RaftLog.newLog(storage, LOGGER);
        log.appliedTo(log.committed, 0);

        long[] compactions = {300, 500, 800, 900};
        int[] left = {700, 500, 200, 100};
        for (int j = 0; j < compactions.length; j++) {
            storage.compact(compactions[j]);
            assertThat(log.allEntries()).hasSize(left[j]);
        }
        assertThatThrownBy(() -> storage.compact(299)).isSameAs(CompactedException.INSTANCE);
        assertThatThrownBy(() -> storage.compact(1001)).isInstanceOf(RaftPanicException.class);
    }

    @Test
    void aLogOverASnapshotStartsCommittedAtIt() {
        long index = 1000;
        long term = 1000;
        RaftLog log = RaftLog.newLog(storageFromSnapshot(index, term), LOGGER);

        assertThat(log.allEntries()).isEmpty();
        assertThat(log.firstIndex()).isEqualTo(index + 1);
        assertThat(log.committed).isEqualTo(index);
        assertThat(log.unstable.offset).isEqualTo(index + 1);
        assertThat(log.term(index)).isEqualTo(term);
    }

    @Test
    void restoringASnapshotLogsTheLogState() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RaftLog log = RaftLog.newLog(storage(), new DefaultLogger(new PrintStream(out, true, StandardCharsets.UTF_8), false));
        log.append(index(1).terms(1, 1));

        log.restore(snapshot(10, 3));

        assertThat(out.toString(StandardCharsets.UTF_8)).contains(" INFO: log [committed=0, applied=0, applying=0, "
                + "unstable.offset=1, unstable.offsetInProgress=1, len(unstable.Entries)=2] "
                + "starts to restore snapshot [index: 10, term: 3]\n");
        assertThat(log.committed).isEqualTo(10);
        assertThat(log.hasNextOrInProgressSnapshot()).isTrue();
        assertThat(log.nextUnstableSnapshot()).isEqualTo(snapshot(10, 3));
        assertThat(log.snapshot()).isEqualTo(snapshot(10, 3));
        assertThat(log.lastEntryID()).isEqualTo(new EntryId(3, 10));

        log.acceptUnstable();
        assertThat(log.hasNextUnstableSnapshot()).isFalse();
        log.stableSnapTo(10);
        assertThat(log.hasNextOrInProgressSnapshot()).isFalse();
    }

    /** A log compacted up to 100 holding entries 101..200 in unstable. */
    private static RaftLog log101To200() {
        RaftLog log = RaftLog.newLog(storageFromSnapshot(100, 0), LOGGER);
        log.append(index(101).termRange(101, 201));
        return log;
    }

    @Test
    void boundsCheckAcceptsRangesInsideTheLog() {
        RaftLog log = log101To200();
        for (long[] range : new long[][] {{101, 101}, {151, 151}, {200, 200}, {201, 201}}) {
            log.mustCheckOutOfBounds(range[0], range[1]);
        }
    }

    @Test
    void boundsCheckReportsCompactedStarts() {
        RaftLog log = log101To200();
        assertThatThrownBy(() -> log.mustCheckOutOfBounds(99, 102)).isSameAs(CompactedException.INSTANCE);
        assertThatThrownBy(() -> log.mustCheckOutOfBounds(100, 102)).isSameAs(CompactedException.INSTANCE);
    }

    @Test
    void boundsCheckPanicsBeyondTheLog() {
        RaftLog log = log101To200();
        assertThatThrownBy(() -> log.mustCheckOutOfBounds(201, 202))
                .isInstanceOf(RaftPanicException.class).hasMessage("slice[201,202) out of bound [101,200]");
        assertThatThrownBy(() -> log.mustCheckOutOfBounds(202, 202))
                .isInstanceOf(RaftPanicException.class).hasMessage("slice[202,202) out of bound [101,200]");
    }

    @Test
    void termCoversTheCompactedEntryThroughTheLast() {
        long offset = 100;
        long num = 100;
        RaftLog log = RaftLog.newLog(storageFromSnapshot(offset, 1), LOGGER);
        log.append(index(offset + 1).termRange(1, num));

        assertThatThrownBy(() -> log.term(offset - 1)).isSameAs(CompactedException.INSTANCE);
        assertThat(log.term(offset)).isEqualTo(1);
        assertThat(log.term(offset + num / 2)).isEqualTo(num / 2);
        assertThat(log.term(offset + num - 1)).isEqualTo(num - 1);
        assertThatThrownBy(() -> log.term(offset + num)).isSameAs(UnavailableException.INSTANCE);
    }

    @Test
    void termWithAnUnstableSnapshotKnowsOnlyTheSnapshotIndex() {
        long storageSnap = 100;
        long unstableSnap = storageSnap + 5;
        RaftLog log = RaftLog.newLog(storageFromSnapshot(storageSnap, 1), LOGGER);
        log.restore(snapshot(unstableSnap, 1));

        // Storage's entries and the gap up to the unstable snapshot are gone.
        assertThatThrownBy(() -> log.term(storageSnap)).isSameAs(CompactedException.INSTANCE);
        assertThatThrownBy(() -> log.term(storageSnap + 1)).isSameAs(CompactedException.INSTANCE);
        assertThatThrownBy(() -> log.term(unstableSnap - 1)).isSameAs(CompactedException.INSTANCE);
        assertThat(log.term(unstableSnap)).isEqualTo(1);
        assertThatThrownBy(() -> log.term(unstableSnap + 1)).isSameAs(UnavailableException.INSTANCE);
    }

    private static final long OFFSET = 100;
    private static final long LAST = 200;
    private static final long HALF = 150;
    private static final long ENTRY_SIZE = Entry.newBuilder()
            .setIndex(HALF).setTerm(HALF).setType(EntryType.EntryNormal).build().getSerializedSize();

    private static List<Entry> entries(long from, long to) {
        return index(from).termRange(from, to);
    }

    /** Entries 101..149 in storage, 150..199 unstable, 100 compacted. */
    private static RaftLog splitLog() {
        MemoryStorage storage = storageFromSnapshot(OFFSET, 0);
        storage.append(entries(OFFSET + 1, HALF));
        RaftLog log = RaftLog.newLog(storage, LOGGER);
        log.append(entries(HALF, LAST));
        return log;
    }

    static Stream<Arguments> slices() {
        return Stream.of(
                arguments("empty range", OFFSET + 1, OFFSET + 1, NO_LIMIT, List.of()),
                arguments("stable part, short of the boundary", OFFSET + 1, HALF - 1, NO_LIMIT,
                        entries(OFFSET + 1, HALF - 1)),
                arguments("stable part up to the boundary", OFFSET + 1, HALF, NO_LIMIT, entries(OFFSET + 1, HALF)),
                arguments("across the boundary", OFFSET + 1, HALF + 1, NO_LIMIT, entries(OFFSET + 1, HALF + 1)),
                arguments("everything", OFFSET + 1, LAST, NO_LIMIT, entries(OFFSET + 1, LAST)),
                arguments("last stable entry", HALF - 1, HALF, NO_LIMIT, entries(HALF - 1, HALF)),
                arguments("straddling the boundary", HALF - 1, HALF + 1, NO_LIMIT, entries(HALF - 1, HALF + 1)),
                arguments("last stable to the end", HALF - 1, LAST, NO_LIMIT, entries(HALF - 1, LAST)),
                arguments("first unstable entry", HALF, HALF + 1, NO_LIMIT, entries(HALF, HALF + 1)),
                arguments("unstable part", HALF, LAST, NO_LIMIT, entries(HALF, LAST)),
                arguments("last entry", LAST - 1, LAST, NO_LIMIT, entries(LAST - 1, LAST)),
                arguments("zero limit, stable start", OFFSET + 1, LAST, 0L, entries(OFFSET + 1, OFFSET + 2)),
                arguments("zero limit, at the boundary", HALF - 1, HALF + 1, 0L, entries(HALF - 1, HALF)),
                arguments("zero limit, unstable start", HALF, LAST, 0L, entries(HALF, HALF + 1)),
                arguments("zero limit, inside unstable", HALF + 1, LAST, 0L, entries(HALF + 1, HALF + 2)),
                arguments("under one entry, stable", OFFSET + 1, LAST, ENTRY_SIZE - 1, entries(OFFSET + 1, OFFSET + 2)),
                arguments("under one entry, boundary", HALF - 1, HALF + 1, ENTRY_SIZE - 1, entries(HALF - 1, HALF)),
                arguments("under one entry, unstable", HALF, LAST, ENTRY_SIZE - 1, entries(HALF, HALF + 1)),
                arguments("one entry, stable", OFFSET + 1, LAST, ENTRY_SIZE, entries(OFFSET + 1, OFFSET + 2)),
                arguments("one entry, boundary", HALF - 1, HALF + 1, ENTRY_SIZE, entries(HALF - 1, HALF)),
                arguments("one entry, unstable", HALF, LAST, ENTRY_SIZE, entries(HALF, HALF + 1)),
                arguments("under two, stable", OFFSET + 1, LAST, ENTRY_SIZE + 1, entries(OFFSET + 1, OFFSET + 2)),
                arguments("under two, boundary", HALF - 1, HALF + 1, ENTRY_SIZE + 1, entries(HALF - 1, HALF)),
                arguments("under two, unstable", HALF, LAST, ENTRY_SIZE + 1, entries(HALF, HALF + 1)),
                arguments("two, stable", OFFSET + 1, LAST, ENTRY_SIZE * 2, entries(OFFSET + 1, OFFSET + 3)),
                arguments("two, ending at the boundary", HALF - 2, HALF + 1, ENTRY_SIZE * 2, entries(HALF - 2, HALF)),
                arguments("two, straddling", HALF - 1, HALF + 1, ENTRY_SIZE * 2, entries(HALF - 1, HALF + 1)),
                arguments("two, unstable", HALF, LAST, ENTRY_SIZE * 2, entries(HALF, HALF + 2)),
                arguments("under three", HALF - 2, HALF + 1, ENTRY_SIZE * 3 - 1, entries(HALF - 2, HALF)),
                arguments("three, straddling", HALF - 1, HALF + 2, ENTRY_SIZE * 3, entries(HALF - 1, HALF + 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("slices")
    void sliceJoinsStableAndUnstableEntriesWithinTheLimit(String scenario, long lo, long hi, long limit,
                                                          List<Entry> want) {
        assertThat(splitLog().slice(lo, hi, limit)).isEqualTo(want);
    }

    @Test
    void slicingCompactedEntriesReportsCompaction() {
        RaftLog log = splitLog();
        assertThatThrownBy(() -> log.slice(OFFSET - 1, OFFSET + 1, NO_LIMIT)).isSameAs(CompactedException.INSTANCE);
        assertThatThrownBy(() -> log.slice(OFFSET, OFFSET + 1, NO_LIMIT)).isSameAs(CompactedException.INSTANCE);
    }

    @Test
    void slicingAnInvertedOrOutOfBoundRangePanics() {
        RaftLog log = splitLog();
        assertThatThrownBy(() -> log.slice(HALF, HALF - 1, NO_LIMIT))
                .isInstanceOf(RaftPanicException.class).hasMessage("invalid slice 150 > 149");
        assertThatThrownBy(() -> log.slice(LAST, LAST + 1, NO_LIMIT))
                .isInstanceOf(RaftPanicException.class).hasMessage("slice[200,201) out of bound [101,199]");
    }

    @Test
    void slicesStayValidAfterTheUnstableLogIsRewritten() {
        RaftLog log = splitLog();
        List<Entry> across = log.slice(HALF - 1, HALF + 2, NO_LIMIT);
        List<Entry> unstable = log.slice(HALF, HALF + 2, NO_LIMIT);

        log.append(index(HALF).terms(500, 500));

        assertThat(across).isEqualTo(entries(HALF - 1, HALF + 2));
        assertThat(unstable).isEqualTo(entries(HALF, HALF + 2));
        assertThatThrownBy(() -> across.add(across.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void scanVisitsTheSameEntriesAsSliceInPages() {
        long offset = 47;
        long num = 20;
        long last = offset + num;
        long half = offset + num / 2;
        long entrySize = entsSize(index(half).termRange(half, half + 1));
        MemoryStorage storage = storageFromSnapshot(offset, 0);
        storage.append(index(offset + 1).termRange(offset + 1, half));
        RaftLog log = RaftLog.newLog(storage, LOGGER);
        log.append(index(half).termRange(half, last));

        for (long pageSize : new long[] {0, 1, 10, 100, entrySize, entrySize + 1}) {
            for (long lo = offset + 1; lo < last; lo++) {
                for (long hi = lo; hi <= last; hi++) {
                    List<Entry> got = new ArrayList<>();
                    boolean completed = log.scan(lo, hi, pageSize, page -> {
                        assertThat(page.size() == 1 || entsSize(page) <= pageSize).isTrue();
                        got.addAll(page);
                        return true;
                    });
                    assertThat(completed).isTrue();
                    assertThat(got).as("[%d, %d) @ %d", lo, hi, pageSize).isEqualTo(log.slice(lo, hi, NO_LIMIT));
                }
            }
        }

        int[] pages = {0};
        assertThat(log.scan(offset + 1, half, 0, page -> ++pages[0] < 2)).isFalse();
        assertThat(pages[0]).isEqualTo(2);

        // An even range with a two-entry page size fills every page to the limit.
        assertThat(log.scan(offset + 1, offset + 11, entrySize * 2, page -> {
            assertThat(page).hasSize(2);
            assertThat(entsSize(page)).isEqualTo(entrySize * 2);
            return true;
        })).isTrue();
    }

    @Test
    void describesItselfLikeEtcd() {
        RaftLog log = logWith(index(1).terms(1, 1, 2));
        log.committed = 2;
        log.appliedTo(1, 0);
        log.acceptUnstable();

        assertThat(log).hasToString("committed=2, applied=1, applying=1, unstable.offset=1, "
                + "unstable.offsetInProgress=4, len(unstable.Entries)=3");
    }
}
