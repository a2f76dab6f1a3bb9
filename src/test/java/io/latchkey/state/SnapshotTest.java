package io.latchkey.state;

import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.StateSnapshot;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Snapshots are deterministic bytes, and a restored replica is indistinguishable from the others. */
@Tag("state")
class SnapshotTest {
    private static final StateConfig SMALL_HISTORY = new StateConfig(50, StateConfig.DEFAULT.historySizeBytesMax(), StateConfig.QUOTA_BYTES_DEFAULT);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5, 6, 7})
    void twoReplicasApplyingTheSameLog_writeIdenticalSnapshots(long seed) {
        Driver a = new Driver(SMALL_HISTORY);
        Driver b = new Driver(SMALL_HISTORY);
        RandomCommands commands = new RandomCommands(seed);
        for (int step = 0; step < 2_000; step++) {
            Command command = commands.next(a.view());
            assertThat(b.applyBytes(command.toByteString())).isEqualTo(a.applyBytes(command.toByteString()));
            if (step % 100 == 0) {
                assertThat(b.snapshot()).isEqualTo(a.snapshot());
            }
        }
        assertThat(b.snapshot()).isEqualTo(a.snapshot());
        assertThat(a.view().historyCompactedRevision()).as("the history was compacted along the way").isPositive();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {8, 9, 10})
    void aRestoredReplica_answersAndBehavesExactlyLikeTheOriginal(long seed) {
        Driver original = new Driver(SMALL_HISTORY);
        RandomCommands commands = new RandomCommands(seed);
        for (int step = 0; step < 1_000; step++) {
            original.applyBytes(commands.next(original.view()).toByteString());
        }
        Driver restored = original.restoredCopy(SMALL_HISTORY);
        assertThat(restored.snapshot()).isEqualTo(original.snapshot());

        for (int step = 0; step < 1_000; step++) {
            assertThat(reads(restored)).isEqualTo(reads(original));
            Command command = commands.next(original.view());
            Result expected = original.applyBytes(command.toByteString());
            assertThat(restored.applyBytes(command.toByteString())).as("step %d: %s", step, command).isEqualTo(expected);
        }
        assertThat(restored.snapshot()).isEqualTo(original.snapshot());
        assertThat(restored.told).isEqualTo(original.told.subList(original.told.size() - restored.told.size(),
                original.told.size()));
    }

    @Test
    void aCapturedImage_writesTheWholeMessagesBytes_andKeepsThemWhileTheStateMovesOn() throws Exception {
        Driver driver = new Driver(SMALL_HISTORY);
        RandomCommands commands = new RandomCommands(11);
        for (int step = 0; step < 1_000; step++) {
            driver.applyBytes(commands.next(driver.view()).toByteString());
        }
        StateImage image = driver.machine.captureSnapshot();
        byte[] captured = driver.snapshot();

        for (int step = 0; step < 200; step++) {
            driver.applyBytes(commands.next(driver.view()).toByteString());
        }
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        image.writeTo(written);

        assertThat(written.toByteArray()).isEqualTo(captured);
        assertThat(image.sizeBytes()).isEqualTo(captured.length);
        // Element by element, yet the same bytes protobuf gives the message built whole.
        assertThat(StateSnapshot.parseFrom(captured).toByteArray()).isEqualTo(captured);
        assertThat(driver.snapshot()).isNotEqualTo(captured);
    }

    @Test
    void anEmptyState_roundTrips() {
        Driver empty = new Driver();
        Driver restored = empty.restoredCopy(StateConfig.DEFAULT);
        assertThat(restored.snapshot()).isEqualTo(empty.snapshot());
        assertThat(restored.view().revision()).isZero();
    }

    @Test
    void restore_replacesEverythingThatWasThere() {
        Driver source = new Driver();
        source.put("only", "this");
        Driver target = new Driver();
        long lease = target.lease(10);
        target.acquire("l", lease, 0);
        target.put("old", "x");

        Driver replaced = source.restoredCopy(StateConfig.DEFAULT);
        try {
            target.machine.restoreSnapshot(new java.io.ByteArrayInputStream(source.snapshot()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        assertThat(target.snapshot()).isEqualTo(replaced.snapshot());
        assertThat(target.view().lock("l")).isEmpty();
        assertThat(target.view().lease(lease, 0)).isEmpty();
        assertThat(target.view().key("old")).isEmpty();
    }

    /** Everything a client can read. */
    private static List<Object> reads(Driver d) {
        StateView v = d.view();
        List<Object> reads = new ArrayList<>();
        reads.add(v.revision());
        reads.add(v.leaseClockMillis());
        reads.add(v.leaseTerm());
        reads.add(v.keys("", "", 1000));
        reads.add(v.keys("a/", "a/x", 1));
        reads.add(v.locks("", 1000));
        reads.add(v.expiredLeases(d.clockMillis));
        reads.add(v.expiredLeases(Long.MAX_VALUE));
        for (long id : v.expiredLeases(Long.MAX_VALUE)) {
            reads.add(v.lease(id, d.clockMillis));
        }
        reads.add(v.historyCompactedRevision());
        for (long from = Math.max(1, v.revision() - 60); from <= v.revision() + 1; from += 7) {
            reads.add(v.eventsSince(from, "", 20));
            reads.add(v.eventsSince(from, "a", 3));
        }
        return reads;
    }
}
