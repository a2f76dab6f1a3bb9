package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Release;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.latchkey.jepsen.checker.HistoryBuilder.done;
import static io.latchkey.jepsen.checker.HistoryBuilder.rejected;
import static io.latchkey.jepsen.checker.HistoryBuilder.revision;
import static org.assertj.core.api.Assertions.assertThat;

/** Locks with fencing tokens: small histories that must pass and that must fail. */
@Tag("checker")
class LockHistoriesTest {
    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker(new Budget(100_000, Duration.ofSeconds(10)));

    private static Verdict strict(HistoryBuilder history) {
        return CHECKER.check(history.build(), LockModel.leasesNeverExpire()).verdict();
    }

    private static Verdict withExpiry(HistoryBuilder history) {
        return CHECKER.check(history.build(), LockModel.leasesMayExpire()).verdict();
    }

    @Test
    void handOffWithIncreasingTokens_waiterGrantedAfterRelease() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 9, new Acquire("l"), revision(4))
                .ok(1, 5, 6, new Release("l", 1), done())
                .ok(1, 7, 8, new Release("l", 1), rejected())
                .ok(2, 10, 11, new Release("l", 4), done());

        assertThat(strict(history)).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void infoAcquireThatNeverTookEffect_doesNotBlockTheNextGrant() {
        HistoryBuilder history = new HistoryBuilder()
                .info(1, 0, new Acquire("l"))
                .ok(2, 5, 6, new Acquire("l"), revision(3));

        assertThat(strict(history)).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void infoAcquireThatTookEffect_isReleasedByItsToken() {
        HistoryBuilder history = new HistoryBuilder()
                .info(1, 0, new Acquire("l"))
                .ok(1, 5, 6, new Release("l", 2), done())
                .ok(2, 7, 8, new Acquire("l"), revision(3));

        assertThat(strict(history)).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void leaseExpiry_letsTheNextWaiterInAndRefusesTheOldToken() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 3, new Acquire("l"), revision(2))
                .ok(1, 4, 5, new Release("l", 1), rejected());

        assertThat(withExpiry(history)).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(strict(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void twoGrantsWithTheSameToken_fail() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(4))
                .ok(1, 2, 3, new Release("l", 4), done())
                .ok(2, 4, 5, new Acquire("l"), revision(4));

        assertThat(withExpiry(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void decreasingTokens_fail() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(5))
                .ok(1, 2, 3, new Release("l", 5), done())
                .ok(2, 4, 5, new Acquire("l"), revision(3));

        assertThat(withExpiry(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void grantWhilePreviousHolderStillHolds_failsWhenLeasesCannotExpire() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 3, new Acquire("l"), revision(2));

        assertThat(strict(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void grantWhilePreviousHolderStillHolds_failsWhenTheHolderLaterReleases() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 3, new Acquire("l"), revision(2))
                .ok(1, 4, 5, new Release("l", 1), done());

        assertThat(withExpiry(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void releaseAcceptedFromANonHolder_fails() {
        HistoryBuilder history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("l"), revision(1))
                .ok(2, 2, 3, new Release("l", 7), done());

        assertThat(withExpiry(history)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void sameTokenGrantedOnTwoLocks_isCaughtByTheRevisionCounter() {
        History history = new HistoryBuilder()
                .ok(1, 0, 1, new Acquire("a"), revision(4))
                .ok(2, 2, 3, new Acquire("b"), revision(4))
                .build();

        assertThat(CHECKER.check(history, LockModel.leasesNeverExpire()).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(RevisionCounterChecker.check(history))
                .extracting(Violation::reason)
                .contains("revision 4 answered twice");
    }
}
