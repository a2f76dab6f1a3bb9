package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Write;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.latchkey.jepsen.checker.HistoryBuilder.absent;
import static io.latchkey.jepsen.checker.HistoryBuilder.rejected;
import static io.latchkey.jepsen.checker.HistoryBuilder.revision;
import static io.latchkey.jepsen.checker.HistoryBuilder.value;
import static org.assertj.core.api.Assertions.assertThat;

/** Config keys as CAS registers: small histories that must pass and that must fail. */
@Tag("checker")
class RegisterHistoriesTest {
    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker(new Budget(100_000, Duration.ofSeconds(10)));

    private static CheckResult check(HistoryBuilder history) {
        return CHECKER.check(history.build(), new RegisterModel());
    }

    @Test
    void concurrentWrites_readsMaySeeEitherOrderWhileTheyOverlap() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 10, new Write("k", "a"), revision(1))
                .ok(2, 2, 12, new Write("k", "b"), revision(2))
                .ok(3, 1, 3, new Read("k"), absent())
                .ok(4, 5, 15, new Read("k"), value("a", 1))
                .ok(3, 13, 14, new Read("k"), value("b", 2)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(result.partitions().getFirst().linearization()).hasSize(5);
    }

    @Test
    void overlappingCasOnSameRevision_oneWinsAndTheOtherIsRejected() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 10, new Cas("k", 1, "b"), revision(3))
                .ok(2, 3, 9, new Cas("k", 1, "c"), rejected())
                .ok(3, 11, 12, new Read("k"), value("b", 3)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void revisionsOfOneKeyNeedNotBeConsecutive_otherKeysShareTheCounter() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(4))
                .ok(2, 2, 3, new Write("other", "x"), revision(5))
                .ok(1, 4, 5, new Cas("k", 4, "b"), revision(9))
                .ok(2, 6, 7, new Read("k"), value("b", 9)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(result.partitions()).extracting(PartitionResult::partition).containsExactly("k", "other");
    }

    @Test
    void deleteThenCreateWithExpectedRevisionZero() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 3, new Delete("k"), revision(2))
                .ok(2, 4, 5, new Delete("k"), rejected())
                .ok(2, 6, 7, new Cas("k", 0, "b"), revision(3))
                .ok(1, 8, 9, new Read("k"), value("b", 3)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void infoWriteThatTookEffect_laterReadsPinItsRevision() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .info(2, 5, new Write("k", "b"))
                .ok(1, 20, 21, new Read("k"), value("a", 1))
                .ok(1, 30, 31, new Read("k"), value("b", 7))
                .ok(3, 32, 33, new Cas("k", 7, "c"), revision(8)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void infoWriteThatNeverTookEffect_isLeftOut() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .info(2, 5, new Cas("k", 1, "b"))
                .ok(1, 20, 21, new Read("k"), value("a", 1))
                .ok(1, 22, 23, new Cas("k", 1, "c"), revision(4)));

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(result.partitions().getFirst().linearization()).hasSize(3);
    }

    @Test
    void failedWrite_isDropped() {
        CheckResult result = check(new HistoryBuilder()
                .fail(1, 0, 1, new Write("k", "a"))
                .ok(2, 2, 3, new Read("k"), absent()));

        assertThat(result.verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void staleLinearizableRead_fails_andTheReportNamesTheRead() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 3, new Write("k", "b"), revision(2))
                .ok(2, 4, 5, new Read("k"), value("a", 1)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        PartitionResult problem = result.problems().getFirst();
        assertThat(problem.partition()).isEqualTo("k");
        assertThat(problem.linearization()).extracting(Operation::id).containsExactly(0, 1);
        assertThat(problem.candidatesAfter()).extracting(Operation::id).containsExactly(2);
        assertThat(problem.deadline().id()).isEqualTo(2);
        assertThat(result.describe()).contains("state after it: State[value=b, modRevision=2");
    }

    @Test
    void lostCas_twoCasOnTheSameRevisionBothSucceed_fails() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 10, new Cas("k", 1, "b"), revision(2))
                .ok(2, 3, 9, new Cas("k", 1, "c"), revision(3)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void lostCas_acknowledgedButNeverVisible_fails() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 3, new Cas("k", 1, "b"), revision(2))
                .ok(2, 4, 5, new Read("k"), value("a", 1)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void casRejectedAlthoughNothingChangedTheRevision_fails() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(2, 2, 3, new Cas("k", 1, "b"), rejected()));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void readOfAFailedWrite_fails() {
        CheckResult result = check(new HistoryBuilder()
                .fail(1, 0, 1, new Write("k", "a"))
                .ok(2, 2, 3, new Read("k"), value("a", 1)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void readOfAnInfoWriteBeforeItWasInvoked_fails() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Read("k"), value("b", 2))
                .info(2, 5, new Write("k", "b")));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void writeRevisionsGoingBackwards_fail() {
        CheckResult result = check(new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(5))
                .ok(1, 2, 3, new Write("k", "b"), revision(3)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void searchBeyondItsBudget_isUnknown() {
        History history = RandomHistories.generate(7, new RandomHistories.Shape(4, 50, 1, 0, 0, 0));

        CheckResult result = new LinearizabilityChecker(new Budget(10, Duration.ofSeconds(10))).check(history, new RegisterModel());

        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.steps()).isEqualTo(10);
    }
}
