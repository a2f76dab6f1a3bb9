package io.latchkey.jepsen;

import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.History;
import io.latchkey.jepsen.checker.Operation;
import io.latchkey.jepsen.checker.Outcome;
import io.latchkey.jepsen.checker.Result;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The watch check on hand-made streams that must pass and must fail. */
class WatchersTest {
    /** jk0 = a (revision 1), jk1 = b (2), jk0 deleted (3), all acknowledged; jk1 = c asked, fate unknown. */
    private static final History HISTORY = new History(List.of(
            new Operation(0, 1, new Call.Write("jk0", "a"), Outcome.OK, new Result.Revision(1), 0, 10),
            new Operation(1, 2, new Call.Cas("jk1", 0, "b"), Outcome.OK, new Result.Revision(2), 5, 15),
            new Operation(2, 1, new Call.Delete("jk0"), Outcome.OK, new Result.Revision(3), 20, 30),
            new Operation(3, 3, new Call.Write("jk1", "c"), Outcome.INFO, null, 40, 40)));

    private static final Watchers.Event A = new Watchers.Event(1, "PUT", "jk0", "a");
    private static final Watchers.Event B = new Watchers.Event(2, "PUT", "jk1", "b");
    private static final Watchers.Event DELETED = new Watchers.Event(3, "DELETE", "jk0", null);
    private static final Watchers.Event C = new Watchers.Event(4, "PUT", "jk1", "c");

    private static Watchers.Watcher watcher(List<long[]> covered, Watchers.Event... events) {
        Watchers.Watcher w = new Watchers.Watcher(new Workloads.Context(null, null, null, 0), 1, 1);
        w.events.addAll(List.of(events));
        w.covered.addAll(covered);
        return w;
    }

    @Test
    void everyChangeInOrder_includingOneWhoseWriterGaveUp_passes() {
        Watchers.Watcher w = watcher(List.of(new long[] {1, 4}), A, B, DELETED, C);

        assertThat(Watchers.check(List.of(w), HISTORY)).isEmpty();
    }

    @Test
    void anAcknowledgedChangeMissingWithinTheCoveredRevisions_isLost() {
        Watchers.Watcher w = watcher(List.of(new long[] {1, 3}), A, DELETED);

        assertThat(Watchers.check(List.of(w), HISTORY)).singleElement()
                .satisfies(v -> assertThat(v.reason()).contains("lost").contains("jk1"));
    }

    @Test
    void aChangeOutsideTheCoveredRevisions_mayBeMissing() {
        // After a 410 the watcher resumed from the current revision: revision 2 was never promised.
        Watchers.Watcher w = watcher(List.of(new long[] {1, 1}, new long[] {3, 3}), A, DELETED);

        assertThat(Watchers.check(List.of(w), HISTORY)).isEmpty();
    }

    @Test
    void aRevisionReceivedTwiceOrOutOfOrder_isAViolation() {
        Watchers.Watcher repeated = watcher(List.of(new long[] {1, 3}), A, B, B, DELETED);
        Watchers.Watcher reordered = watcher(List.of(new long[] {1, 3}), A, DELETED, B);

        assertThat(Watchers.check(List.of(repeated), HISTORY)).anySatisfy(v -> assertThat(v.reason()).contains("repeated"));
        assertThat(Watchers.check(List.of(reordered), HISTORY)).anySatisfy(v -> assertThat(v.reason()).contains("reordered"));
    }

    @Test
    void aValueNoClientWrote_orWatchersThatDisagree_areViolations() {
        Watchers.Event invented = new Watchers.Event(4, "PUT", "jk1", "zzz");
        Watchers.Watcher first = watcher(List.of(new long[] {1, 4}), A, B, DELETED, C);
        Watchers.Watcher second = watcher(List.of(new long[] {1, 4}), A, B, DELETED, invented);

        assertThat(Watchers.check(List.of(first, second), HISTORY))
                .anySatisfy(v -> assertThat(v.reason()).contains("no client wrote"))
                .anySatisfy(v -> assertThat(v.reason()).contains("disagree"));
    }

    @Test
    void anEventWithTheWrongValueForAnAcknowledgedWrite_isAViolation() {
        Watchers.Event wrong = new Watchers.Event(2, "PUT", "jk1", "c");
        Watchers.Watcher w = watcher(List.of(new long[] {1, 3}), A, wrong, DELETED);

        assertThat(Watchers.check(List.of(w), HISTORY)).anySatisfy(v -> assertThat(v.reason()).contains("for the acknowledged change"));
    }
}
