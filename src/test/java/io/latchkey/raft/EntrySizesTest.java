package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.EntrySizes.entsSize;
import static io.latchkey.raft.EntrySizes.limitSize;
import static io.latchkey.raft.EntrySizes.payloadSize;
import static io.latchkey.raft.EntrySizes.payloadsSize;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class EntrySizesTest {
    private static final List<Entry> ENTS = index(4).terms(4, 5, 6);

    private static long size(int i) {
        return ENTS.get(i).getSerializedSize();
    }

    static Stream<Arguments> limits() {
        return Stream.of(
                arguments("no limit keeps all", RaftLog.NO_LIMIT, 3),
                arguments("a zero limit still keeps the first", 0L, 1),
                arguments("exactly two", size(0) + size(1), 2),
                arguments("two and half of the third", size(0) + size(1) + size(2) / 2, 2),
                arguments("one byte short of three", size(0) + size(1) + size(2) - 1, 2),
                arguments("exactly three", size(0) + size(1) + size(2), 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("limits")
    void limitSizeKeepsTheLongestPrefixWithinTheLimit(String scenario, long maxSize, int wantCount) {
        List<Entry> got = limitSize(ENTS, maxSize);
        assertThat(got).isEqualTo(ENTS.subList(0, wantCount));
        assertThat(got.size() == 1 || entsSize(got) <= maxSize).isTrue();
    }

    @Test
    void limitSizeResultDoesNotFollowLaterChangesToItsInput() {
        List<Entry> mutable = new ArrayList<>(ENTS);
        List<Entry> got = limitSize(mutable, size(0) + size(1));

        mutable.clear();

        assertThat(got).isEqualTo(ENTS.subList(0, 2));
    }

    @Test
    void anEmptyEntryHasNoPayload() {
        // New leaders append an empty entry; it must not count against the uncommitted quota.
        assertThat(payloadSize(Entry.getDefaultInstance())).isZero();
    }

    @Test
    void payloadsSizeAddsUpTheData() {
        Entry a = Entry.newBuilder().setData(ByteString.copyFromUtf8("abc")).build();
        Entry b = Entry.newBuilder().setIndex(7).setData(ByteString.copyFromUtf8("de")).build();
        assertThat(payloadsSize(List.of(a, b, Entry.getDefaultInstance()))).isEqualTo(5);
    }
}
