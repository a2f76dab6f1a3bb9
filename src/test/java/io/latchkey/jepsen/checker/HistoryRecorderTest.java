package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Write;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("checker")
class HistoryRecorderTest {

    @Test
    void operationsStillInFlight_areRecordedAsInfo() {
        AtomicLong clock = new AtomicLong();
        HistoryRecorder recorder = new HistoryRecorder(clock::incrementAndGet);
        int write = recorder.invoke(1, new Write("k", "a"));
        int read = recorder.invoke(2, new Read("k"));
        recorder.ok(write, new Result.Revision(1));

        History history = recorder.history();

        assertThat(history.operations()).containsExactly(
                new Operation(write, 1, new Write("k", "a"), Outcome.OK, new Result.Revision(1), 1, 3),
                new Operation(read, 2, new Read("k"), Outcome.INFO, null, 2, 4));
    }

    @Test
    void completingAnOperationTwice_isABugInTheHarness() {
        HistoryRecorder recorder = new HistoryRecorder(() -> 0);
        int id = recorder.invoke(1, new Read("k"));
        recorder.fail(id);

        assertThatThrownBy(() -> recorder.info(id)).isInstanceOf(IllegalStateException.class);
    }
}
