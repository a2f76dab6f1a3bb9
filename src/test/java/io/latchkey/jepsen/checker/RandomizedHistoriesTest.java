package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Write;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Histories from a real sequential execution with random concurrency windows must pass; the same
 * history with one answer corrupted so that no linearization can exist must fail. Each corruption
 * is chosen so that real-time order alone rules it out, whatever the other operations did.
 */
@Tag("checker")
class RandomizedHistoriesTest {
    private static final RandomHistories.Shape SHAPE = new RandomHistories.Shape(5, 30, 3, 2, 4, 4);
    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker(new Budget(2_000_000, Duration.ofSeconds(60)));
    private static final RegisterModel REGISTER = new RegisterModel();
    private static final FencedResourceModel RESOURCE = new FencedResourceModel(LockModel.leasesMayExpire());

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sequentialExecutionWithConcurrencyWindows_isLinearizable(long seed) {
        History history = RandomHistories.generate(seed, SHAPE);

        for (Model<?> model : List.of(REGISTER, RESOURCE)) {
            CheckResult result = CHECKER.check(history, model);
            assertThat(result.verdict()).as("seed %d, %s:\n%s", seed, model.getClass().getSimpleName(), result.describe())
                    .isEqualTo(Verdict.LINEARIZABLE);
        }
        List<Violation> violations = RevisionCounterChecker.check(history);
        assertThat(violations).as("seed %d: %s", seed, violations.stream().map(Violation::describe).toList()).isEmpty();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void oneCorruptedAnswer_isNotLinearizable(long seed) {
        History history = RandomHistories.generate(seed, SHAPE);
        Random random = new Random(seed);
        List<Corruption> corruptions = Stream.of(staleRead(history), reusedToken(history), staleTokenWriteAccepted(history))
                .filter(Objects::nonNull)
                .toList();
        assertThat(corruptions).as("seed %d offers something to corrupt", seed).isNotEmpty();
        Corruption corruption = corruptions.get(random.nextInt(corruptions.size()));

        History corrupted = new History(history.operations().stream()
                .map(op -> op.id() == corruption.victim().id() ? corruption.change().apply(op) : op)
                .toList());

        CheckResult result = CHECKER.check(corrupted, corruption.model());
        assertThat(result.verdict()).as("seed %d, %s of #%d", seed, corruption.name(), corruption.victim().id())
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    private record Corruption(String name, Operation victim, UnaryOperator<Operation> change, Model<?> model) {
    }

    private static Operation answering(Operation op, Result result) {
        return new Operation(op.id(), op.process(), op.call(), op.outcome(), result, op.invokeNanos(), op.completeNanos());
    }

    private static boolean before(Operation first, Operation second) {
        return first.completeNanos() < second.invokeNanos();
    }

    private static List<Operation> ok(History history) {
        return history.operations().stream().filter(op -> op.outcome() == Outcome.OK).toList();
    }

    /**
     * A read answers a value that a later write, completed before the read began, had already
     * overwritten: each key's revisions increase along any linearization, so that state is gone.
     */
    private static Corruption staleRead(History history) {
        List<Operation> ok = ok(history);
        for (Operation read : ok) {
            if (!(read.call() instanceof Read r)) {
                continue;
            }
            for (Operation old : ok) {
                if (!(writtenValue(old, r.key()) instanceof String value) || !before(old, read)) {
                    continue;
                }
                long oldRevision = ((Revision) old.result()).revision();
                boolean overwritten = ok.stream().anyMatch(w -> writes(w, r.key()) && before(w, read)
                        && ((Revision) w.result()).revision() > oldRevision);
                if (overwritten) {
                    return new Corruption("stale read", read, op -> answering(op, new Result.ValueAt(value, oldRevision)), REGISTER);
                }
            }
        }
        return null;
    }

    /** A grant reuses the token of a grant of the same lock that completed before it began. */
    private static Corruption reusedToken(History history) {
        List<Operation> grants = ok(history).stream().filter(op -> op.call() instanceof Acquire).toList();
        for (Operation later : grants) {
            for (Operation earlier : grants) {
                if (earlier.call().equals(later.call()) && before(earlier, later)) {
                    return new Corruption("reused token", later, op -> answering(op, earlier.result()), RESOURCE);
                }
            }
        }
        return null;
    }

    /** A refused fenced write becomes accepted although a newer grant completed before it began. */
    private static Corruption staleTokenWriteAccepted(History history) {
        List<Operation> ok = ok(history);
        for (Operation write : ok) {
            if (!(write.call() instanceof FencedWrite f) || !(write.result() instanceof Rejected)) {
                continue;
            }
            boolean superseded = ok.stream().anyMatch(g -> g.call().equals(new Acquire(f.lock())) && before(g, write)
                    && ((Revision) g.result()).revision() > f.token());
            if (superseded) {
                return new Corruption("stale token accepted", write, op -> answering(op, new Result.Revision(Long.MAX_VALUE)), RESOURCE);
            }
        }
        return null;
    }

    private static boolean writes(Operation op, String key) {
        return op.result() instanceof Revision && switch (op.call()) {
            case Write w -> w.key().equals(key);
            case Cas c -> c.key().equals(key);
            case FencedWrite f -> f.key().equals(key);
            case Call.Delete d -> d.key().equals(key);
            default -> false;
        };
    }

    private static String writtenValue(Operation op, String key) {
        if (!writes(op, key)) {
            return null;
        }
        return switch (op.call()) {
            case Write w -> w.value();
            case Cas c -> c.value();
            case FencedWrite f -> f.value();
            default -> null;
        };
    }
}
