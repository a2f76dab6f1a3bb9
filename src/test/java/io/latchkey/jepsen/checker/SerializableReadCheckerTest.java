package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.SerializableRead;
import io.latchkey.jepsen.checker.Call.Write;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.latchkey.jepsen.checker.HistoryBuilder.absent;
import static io.latchkey.jepsen.checker.HistoryBuilder.revision;
import static io.latchkey.jepsen.checker.HistoryBuilder.value;
import static org.assertj.core.api.Assertions.assertThat;

/** Serializable reads may be stale but never invent, foresee or rewind a state. */
@Tag("checker")
class SerializableReadCheckerTest {

    private static HistoryBuilder aThenB() {
        return new HistoryBuilder()
                .ok(1, 0, 1, new Write("k", "a"), revision(1))
                .ok(1, 2, 3, new Write("k", "b"), revision(2));
    }

    @Test
    void staleRead_isAllowedForSerializableReads_butNotForLinearizableOnes() {
        History serializable = aThenB().ok(2, 4, 5, new SerializableRead("k"), value("a", 1)).build();
        History linearizable = aThenB().ok(2, 4, 5, new Read("k"), value("a", 1)).build();

        assertThat(SerializableReadChecker.check(serializable)).isEmpty();
        assertThat(new LinearizabilityChecker(new Budget(1_000, Duration.ofSeconds(10)))
                .check(linearizable, new RegisterModel()).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void readOfTheInitialAbsentState_isAllowed() {
        assertThat(SerializableReadChecker.check(aThenB().ok(2, 4, 5, new SerializableRead("k"), absent()).build())).isEmpty();
    }

    @Test
    void readOfAWriteThatStartedAfterItReturned_isAViolation() {
        History history = new HistoryBuilder()
                .ok(2, 0, 1, new SerializableRead("k"), value("b", 2))
                .ok(1, 5, 6, new Write("k", "b"), revision(2))
                .build();

        assertThat(SerializableReadChecker.check(history)).extracting(Violation::reason)
                .containsExactly("read of k saw a write that started after it returned: " + history.operations().get(1).describe());
    }

    @Test
    void readOfAValueThatRevisionNeverHad_isAViolation() {
        History history = aThenB().ok(2, 4, 5, new SerializableRead("k"), value("x", 1)).build();

        assertThat(SerializableReadChecker.check(history)).hasSize(1);
    }

    @Test
    void readOfAFailedWrite_isAViolation() {
        History history = new HistoryBuilder()
                .fail(1, 0, 1, new Write("k", "a"))
                .ok(2, 2, 3, new SerializableRead("k"), value("a", 1))
                .build();

        assertThat(SerializableReadChecker.check(history)).extracting(Violation::reason)
                .containsExactly("no write of k produced a@1");
    }

    @Test
    void readOfAnInfoWrite_isAllowedOnceItWasInvoked() {
        History history = new HistoryBuilder()
                .info(1, 0, new Write("k", "a"))
                .ok(2, 2, 3, new SerializableRead("k"), value("a", 7))
                .build();

        assertThat(SerializableReadChecker.check(history)).isEmpty();
    }

    @Test
    void oneClientGoingBackInRevisions_isAViolation_twoClientsMayDisagree() {
        History oneClient = aThenB()
                .ok(2, 4, 5, new SerializableRead("k"), value("b", 2))
                .ok(2, 6, 7, new SerializableRead("k"), value("a", 1))
                .build();
        History twoClients = aThenB()
                .ok(2, 4, 5, new SerializableRead("k"), value("b", 2))
                .ok(3, 6, 7, new SerializableRead("k"), value("a", 1))
                .build();

        assertThat(SerializableReadChecker.check(oneClient)).extracting(Violation::reason)
                .containsExactly("serializable read of k went back from revision 2 to 1");
        assertThat(SerializableReadChecker.check(twoClients)).isEmpty();
    }

    @Test
    void goingBackToAbsent_needsADelete() {
        HistoryBuilder seenB = aThenB().ok(2, 4, 5, new SerializableRead("k"), value("b", 2));
        History withoutDelete = seenB.ok(2, 6, 7, new SerializableRead("k"), absent()).build();
        History withDelete = aThenB()
                .ok(2, 4, 5, new SerializableRead("k"), value("b", 2))
                .ok(1, 5, 6, new Delete("k"), revision(3))
                .ok(2, 6, 7, new SerializableRead("k"), absent())
                .build();

        assertThat(SerializableReadChecker.check(withoutDelete)).extracting(Violation::reason)
                .containsExactly("serializable read of k went back to absent");
        assertThat(SerializableReadChecker.check(withDelete)).isEmpty();
    }
}
