package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class LogSliceTest {

    private static EntryId id(long index, long term) {
        return new EntryId(term, index);
    }

    private static Entry e(long index, long term) {
        return Entry.newBuilder().setIndex(index).setTerm(term).build();
    }

    @Test
    void entryIdsAreEqualByTermAndIndex() {
        assertThat(new EntryId(5, 10)).isEqualTo(new EntryId(5, 10));
        assertThat(new EntryId(4, 10)).isNotEqualTo(new EntryId(5, 10));
        assertThat(new EntryId(5, 9)).isNotEqualTo(new EntryId(5, 10));
    }

    @Test
    void entryIdOfAnEntryTakesItsTermAndIndex() {
        assertThat(EntryId.of(Entry.getDefaultInstance())).isEqualTo(new EntryId(0, 0));
        assertThat(EntryId.of(Entry.newBuilder().setTerm(1).setIndex(2)
                .setData(ByteString.copyFromUtf8("data")).build()))
                .isEqualTo(new EntryId(1, 2));
        assertThat(EntryId.of(e(123, 10))).isEqualTo(new EntryId(10, 123));
    }

    static Stream<Arguments> validSlices() {
        return Stream.of(
                arguments("empty slice at the origin", 0, id(0, 0), List.of(), id(0, 0)),
                arguments("empty slice, leader term equals prev term", 10, id(123, 10), List.of(), id(123, 10)),
                arguments("empty slice, leader term above prev term", 11, id(123, 10), List.of(), id(123, 10)),
                arguments("one entry of the leader term", 1, id(0, 0), List.of(e(1, 1)), id(1, 1)),
                arguments("one entry of an older term", 2, id(0, 0), List.of(e(1, 1)), id(1, 1)),
                arguments("several entries", 2, id(1, 1), List.of(e(2, 1), e(3, 1), e(4, 2)), id(4, 2)),
                arguments("first entry follows prev", 10, id(123, 5), List.of(e(124, 6)), id(124, 6)),
                arguments("terms rise along the slice", 10, id(12, 2), List.of(e(13, 2), e(14, 3)), id(14, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validSlices")
    void aWellFormedSliceValidatesAndEndsAtItsLastEntry(String scenario, long term, EntryId prev, List<Entry> entries,
                                                        EntryId last) {
        LogSlice s = new LogSlice(term, prev, entries);
        assertThatNoException().isThrownBy(s::validate);
        assertThat(s.lastEntryId()).isEqualTo(last);
        assertThat(s.lastIndex()).isEqualTo(last.index());
    }

    static Stream<Arguments> invalidSlices() {
        return Stream.of(
                arguments("prev newer than the leader term", 0, id(123, 10), List.of(),
                        "leader term 0: entry {term:10 index:123} has a newer term"),
                arguments("prev one term ahead", 9, id(123, 10), List.of(),
                        "leader term 9: entry {term:10 index:123} has a newer term"),
                arguments("entry newer than the leader term", 0, id(0, 0), List.of(e(1, 1)),
                        "leader term 0: entry {term:1 index:1} has a newer term"),
                arguments("gap after prev", 2, id(0, 0), List.of(e(2, 1), e(3, 1), e(4, 2)),
                        "leader term 2: entries {term:0 index:0} and {term:1 index:2} not consistent"),
                arguments("last entry newer than the leader", 1, id(1, 1), List.of(e(2, 1), e(3, 1), e(4, 2)),
                        "leader term 1: entry {term:2 index:4} has a newer term"),
                arguments("first entry before prev", 10, id(123, 5), List.of(e(111, 5)),
                        "leader term 10: entries {term:5 index:123} and {term:5 index:111} not consistent"),
                arguments("first entry term regresses", 10, id(123, 5), List.of(e(124, 4)),
                        "leader term 10: entries {term:5 index:123} and {term:4 index:124} not consistent"),
                arguments("first entry far ahead", 10, id(123, 5), List.of(e(234, 6)),
                        "leader term 10: entries {term:5 index:123} and {term:6 index:234} not consistent"),
                arguments("index goes back", 10, id(12, 2), List.of(e(13, 2), e(12, 2)),
                        "leader term 10: entries {term:2 index:13} and {term:2 index:12} not consistent"),
                arguments("index skips", 10, id(12, 2), List.of(e(13, 2), e(15, 2)),
                        "leader term 10: entries {term:2 index:13} and {term:2 index:15} not consistent"),
                arguments("term regresses", 10, id(12, 2), List.of(e(13, 2), e(14, 1)),
                        "leader term 10: entries {term:2 index:13} and {term:1 index:14} not consistent"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSlices")
    void aMalformedSliceFailsValidationWithEtcdsText(String scenario, long term, EntryId prev, List<Entry> entries,
                                                     String message) {
        assertThatThrownBy(() -> new LogSlice(term, prev, entries).validate())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(message);
    }
}
