package io.latchkey.raft.tracker;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InflightsTest {
    /** A tracker of 10 messages whose ring is fully allocated and starts at {@code start}. */
    private static Inflights preallocated(int start) {
        Inflights in = new Inflights(10, 0);
        in.indexes = new long[10];
        in.sizes = new long[10];
        in.start = start;
        return in;
    }

    private static void assertState(Inflights in, int start, int count, long bytes, long[] indexes, long[] sizes) {
        assertThat(in.start).as("start").isEqualTo(start);
        assertThat(in.count).as("count").isEqualTo(count);
        assertThat(in.bytes).as("bytes").isEqualTo(bytes);
        assertThat(in.indexes).as("indexes").containsExactly(indexes);
        assertThat(in.sizes).as("sizes").containsExactly(sizes);
    }

    @Test
    void addFillsTheRingFromItsStart() {
        Inflights in = preallocated(0);
        for (int i = 0; i < 5; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 0, 5, 510, new long[] {0, 1, 2, 3, 4, 0, 0, 0, 0, 0},
                new long[] {100, 101, 102, 103, 104, 0, 0, 0, 0, 0});
        for (int i = 5; i < 10; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 0, 10, 1045, new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                new long[] {100, 101, 102, 103, 104, 105, 106, 107, 108, 109});
    }

    @Test
    void addWrapsAroundTheEndOfTheRing() {
        Inflights in = preallocated(5);
        for (int i = 0; i < 5; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 5, 5, 510, new long[] {0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
                new long[] {0, 0, 0, 0, 0, 100, 101, 102, 103, 104});
        for (int i = 5; i < 10; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 5, 10, 1045, new long[] {5, 6, 7, 8, 9, 0, 1, 2, 3, 4},
                new long[] {105, 106, 107, 108, 109, 100, 101, 102, 103, 104});
    }

    @Test
    void freeLEReleasesAcknowledgedMessagesAndResetsWhenEmpty() {
        Inflights in = new Inflights(10, 0);
        for (int i = 0; i < 10; i++) {
            in.add(i, 100 + i);
        }
        long[] firstRound = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        long[] firstSizes = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109};

        in.freeLE(0);
        assertState(in, 1, 9, 945, firstRound, firstSizes);
        in.freeLE(4);
        assertState(in, 5, 5, 535, firstRound, firstSizes);
        in.freeLE(8);
        assertState(in, 9, 1, 109, firstRound, firstSizes);

        for (int i = 10; i < 15; i++) {
            in.add(i, 100 + i);
        }
        in.freeLE(12);
        long[] wrapped = {10, 11, 12, 13, 14, 5, 6, 7, 8, 9};
        long[] wrappedSizes = {110, 111, 112, 113, 114, 105, 106, 107, 108, 109};
        assertState(in, 3, 2, 227, wrapped, wrappedSizes);
        in.freeLE(14);
        assertState(in, 0, 0, 0, wrapped, wrappedSizes);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "always-full,           0,   0,  0, 0,  0",
            "single-entry,          1,   0,  1, 1,  2",
            "single-entry-overflow, 1,  10,  1, 1,  2",
            "multi-entry,          15,   0, 15, 6, 22",
            "slight-overflow,       8, 400,  4, 2,  7",
            "exact-max-bytes,       8, 406,  4, 3,  8",
            "larger-overflow,      15, 408,  5, 1,  6",
    })
    void fullHonoursBothTheMessageAndTheSoftByteLimit(String name, int size, long maxBytes, int fullAt,
                                                      long freeLE, int againAt) {
        Inflights in = new Inflights(size, maxBytes);
        addUntilFull(in, 0, fullAt);
        in.freeLE(freeLE);
        addUntilFull(in, fullAt, againAt);
        assertThatThrownBy(() -> in.add(100, 1024)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot add into a Full inflights");
    }

    private static void addUntilFull(Inflights in, int begin, int end) {
        for (int i = begin; i < end; i++) {
            assertThat(in.full()).as("full at %d, want %d", i, end).isFalse();
            in.add(i, 100 + i);
        }
        assertThat(in.full()).as("not full at %d", end).isTrue();
    }

    @Test
    void resetDoesNotLeakBytesIntoTheNextRound() {
        Inflights in = new Inflights(10, 1000);
        long index = 0;
        for (int epoch = 0; epoch < 100; epoch++) {
            in.reset();
            for (int i = 0; i < 5; i++) {
                assertThat(in.full()).isFalse();
                in.add(++index, 16);
            }
            in.freeLE(index - 2);
            assertThat(in.full()).isFalse();
            assertThat(in.count()).isEqualTo(2);
        }
        in.freeLE(index);
        assertThat(in.count()).isZero();
    }

    @Test
    void copySharesNothing() {
        Inflights in = new Inflights(4, 0);
        in.add(1, 10);
        Inflights copy = in.copy();
        copy.add(2, 10);
        in.freeLE(1);
        assertThat(in.count()).isZero();
        assertThat(copy.count()).isEqualTo(2);
    }
}
