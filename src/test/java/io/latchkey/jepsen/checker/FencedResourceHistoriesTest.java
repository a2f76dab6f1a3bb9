package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Release;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.latchkey.jepsen.checker.HistoryBuilder.done;
import static io.latchkey.jepsen.checker.HistoryBuilder.rejected;
import static io.latchkey.jepsen.checker.HistoryBuilder.revision;
import static io.latchkey.jepsen.checker.HistoryBuilder.value;
import static org.assertj.core.api.Assertions.assertThat;

/** Config writes fenced by a lock's token: small histories that must pass and that must fail. */
@Tag("checker")
class FencedResourceHistoriesTest {
    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker(new Budget(100_000, Duration.ofSeconds(10)));
    private static final FencedResourceModel MAY_EXPIRE = new FencedResourceModel(LockModel.leasesMayExpire());
    private static final FencedResourceModel NEVER_EXPIRE = new FencedResourceModel(LockModel.leasesNeverExpire());

    @Test
    void holderWritesAreAccepted_andTheOldHoldersRefusedAfterHandOff() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(1, 2, 3, new FencedWrite("r", "a", "l", 1), revision(2))
                .ok(1, 4, 5, new Release("l", 1), done())
                .ok(2, 6, 7, new Acquire("l"), revision(3))
                .ok(1, 8, 9, new FencedWrite("r", "stale", "l", 1), rejected())
                .ok(2, 10, 11, new FencedWrite("r", "b", "l", 3), revision(4))
                .ok(1, 12, 13, new Read("r"), value("b", 4))
                .build();

        assertThat(CHECKER.check(history, NEVER_EXPIRE).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(CHECKER.check(history, new RegisterModel()).verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void holderRefusedWithItsOwnToken_meansItsLeaseExpired() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(1, 2, 3, new FencedWrite("r", "a", "l", 1), rejected())
                .ok(2, 4, 5, new Acquire("l"), revision(2))
                .build();

        assertThat(CHECKER.check(history, MAY_EXPIRE).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(CHECKER.check(history, NEVER_EXPIRE).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void writeConcurrentWithTheNextGrant_mayBeAcceptedWithTheOldToken() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 10, new Acquire("l"), revision(3))
                .ok(1, 3, 11, new FencedWrite("r", "a", "l", 1), revision(2))
                .build();

        assertThat(CHECKER.check(history, MAY_EXPIRE).verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void staleTokenWriteAccepted_afterThePausedHoldersLeaseExpired_fails() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 5, 6, new Acquire("l"), revision(3))
                .ok(1, 7, 8, new FencedWrite("r", "stale", "l", 1), revision(4))
                .build();

        CheckResult result = CHECKER.check(history, MAY_EXPIRE);

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(result.problems().getFirst().deadline().call()).isEqualTo(new FencedWrite("r", "stale", "l", 1));
    }

    @Test
    void writeAcceptedWithATokenNeverGranted_fails() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 3, new FencedWrite("r", "x", "l", 9), revision(10))
                .build();

        assertThat(CHECKER.check(history, MAY_EXPIRE).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }
}
