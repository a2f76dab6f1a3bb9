package io.latchkey.jepsen.checker;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A harness-sized history must be decided within the budget, not merely give up. */
@Tag("checker")
class CheckerPerformanceTest {

    @Test
    void twoThousandOperationsOverTenKeys_areDecidedWithinTheBudget() {
        History history = RandomHistories.generate(2026, new RandomHistories.Shape(10, 200, 10, 0, 2, 2));
        assertThat(history.operations()).hasSize(2_000);

        CheckResult result = new LinearizabilityChecker(new Budget(1_000_000, Duration.ofMinutes(1)))
                .check(history, new RegisterModel());

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(result.partitions()).hasSize(10);
    }
}
