package io.latchkey.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compact segment encoding against the entries it was given: every field and its presence come back. */
@Tag("storage")
class LogSegmentTest {

    /** Entries of every shape the encoding distinguishes, with terms that repeat, change and go missing. */
    private static List<Entry> randomEntries(Random random, long firstIndex, int count) {
        List<Entry> entries = new ArrayList<>(count);
        long term = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            Entry.Builder entry = Entry.newBuilder().setIndex(firstIndex + i);
            int shape = random.nextInt(20);
            if (shape == 0) {
                term += 1 + random.nextInt(1 << 20);
            }
            if (shape != 1) {
                entry.setTerm(shape == 2 ? 0 : term);
            }
            if (shape == 3 || shape == 4) {
                entry.setType(EntryType.forNumber(random.nextInt(3)));
            }
            if (shape != 5) {
                byte[] data = new byte[shape == 6 ? random.nextInt(70_000) : random.nextInt(200)];
                random.nextBytes(data);
                entry.setData(ByteString.copyFrom(data));
            }
            if (shape == 7) {
                entry.setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(15, UnknownFieldSet.Field.newBuilder().addVarint(random.nextLong()).build()).build());
            }
            entries.add(entry.build());
        }
        return entries;
    }

    private static List<Entry> decodeAll(List<LogSegment> segments) throws SQLException {
        List<Entry> result = new ArrayList<>();
        for (LogSegment segment : segments) {
            result.addAll(segment.decode(segment.firstIndex(), segment.lastIndex() + 1));
        }
        return result;
    }

    @Test
    void randomEntries_decodeToEqualEntriesWholeByRangeAndAfterACut() throws SQLException {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            long firstIndex = 1 + random.nextInt(1 << 30);
            List<Entry> entries = randomEntries(random, firstIndex, 1 + random.nextInt(300));
            List<LogSegment> segments = LogSegment.encode(entries);
            assertThat(decodeAll(segments)).isEqualTo(entries);
            for (LogSegment segment : segments) {
                assertThat(segment.encoded().length <= LogSegment.SIZE_BYTES_MAX
                        || segment.firstIndex() == segment.lastIndex()).isTrue();
                int offset = Math.toIntExact(segment.firstIndex() - firstIndex);
                long from = segment.firstIndex() + random.nextInt(Math.toIntExact(segment.lastIndex() - segment.firstIndex() + 1));
                long to = from + random.nextInt(Math.toIntExact(segment.lastIndex() + 2 - from));
                assertThat(segment.decode(from, to)).isEqualTo(entries.subList(
                        Math.toIntExact(from - firstIndex), Math.toIntExact(to - firstIndex)));
                LogSegment prefix = segment.prefixThrough(from);
                assertThat(prefix.decode(prefix.firstIndex(), from + 1))
                        .isEqualTo(entries.subList(offset, Math.toIntExact(from + 1 - firstIndex)));
            }
        }
    }

    @Test
    void readyOf256EntriesOf64Bytes_costs66BytesAnEntry() {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            entries.add(Entry.newBuilder().setIndex(1_000_000 + i).setTerm(7).setType(EntryType.EntryNormal)
                    .setData(ByteString.copyFrom(new byte[64])).build());
        }
        List<LogSegment> segments = LogSegment.encode(entries);
        assertThat(segments).hasSize(1);
        // Format byte, the term once, then a header byte, a length byte and the payload per entry.
        assertThat(segments.get(0).encoded().length).isEqualTo(1 + 1 + 256 * 66);
    }

    @Test
    void truncatedOrExtendedSegment_isReportedAsDamage() {
        LogSegment segment = LogSegment.encode(randomEntries(new Random(5), 10, 40)).get(0);
        LogSegment truncated = new LogSegment(segment.firstIndex(), segment.lastIndex(),
                Arrays.copyOf(segment.encoded(), segment.encoded().length - 1));
        LogSegment extended = new LogSegment(segment.firstIndex(), segment.lastIndex(),
                Arrays.copyOf(segment.encoded(), segment.encoded().length + 1));
        byte[] otherFormat = segment.encoded().clone();
        otherFormat[0] = 0;
        for (LogSegment damaged : List.of(truncated, extended,
                new LogSegment(segment.firstIndex(), segment.lastIndex(), otherFormat))) {
            assertThatThrownBy(() -> damaged.decode(damaged.firstIndex(), damaged.lastIndex() + 1))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("[10, " + segment.lastIndex() + "] does not decode");
        }
    }
}
