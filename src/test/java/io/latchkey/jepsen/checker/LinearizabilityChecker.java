package io.latchkey.jepsen.checker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether a history is linearizable with respect to a {@link Model}: the Wing &amp; Gong
 * depth-first search with Lowe's memoisation, as Porcupine implements it (Horn &amp; Kroening,
 * "Faster linearizability checking via P-compositionality", FORTE 2015).
 *
 * <p>The history is split per object ({@link Model#partitionKey}) and each part is searched alone.
 * A part becomes a time-ordered doubly linked list of call and return entries. The search walks it
 * from the front: at a call entry it tries to linearize that operation next (apply the model,
 * then "lift" the call and its return out of the list and restart from the front); reaching a
 * return entry means an operation that has already completed is still unplaced, so the last
 * choice is undone ("unlift") and the next candidate tried. A cache of (linearized set, state)
 * prunes every configuration already explored: two paths reaching the same set and state have
 * the same futures.
 *
 * <p>FAIL operations are dropped. INFO operations get a call entry and no return entry (their
 * completion is +infinity), so nothing ever forces them in; the search succeeds once every OK
 * operation is placed, leaving out the INFO operations that never took effect.
 */
public final class LinearizabilityChecker {
    private final Budget budget;

    public LinearizabilityChecker(Budget budget) {
        this.budget = budget;
    }

    public <S> CheckResult check(History history, Model<S> model) {
        Map<String, List<Operation>> parts = new TreeMap<>();
        for (Operation op : history.operations()) {
            String key = model.partitionKey(op.call());
            if (key != null && op.outcome() != Outcome.FAIL) {
                parts.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
            }
        }
        Meter meter = new Meter(budget);
        List<PartitionResult> results = new ArrayList<>();
        parts.forEach((key, ops) -> results.add(new Search<>(key, ops, model, meter).run()));
        return CheckResult.of(results, meter.steps);
    }

    /** Spends the budget; reads the clock only every few thousand steps to stay cheap. */
    private static final class Meter {
        private static final int CLOCK_READ_INTERVAL_STEPS = 4096;
        private final long stepsMax;
        private final long deadlineNanos;
        private long steps;
        private boolean exhausted;

        Meter(Budget budget) {
            this.stepsMax = budget.stepsMax();
            this.deadlineNanos = System.nanoTime() + budget.timeMax().toNanos();
        }

        boolean spend() {
            exhausted = exhausted || steps >= stepsMax
                    || (steps % CLOCK_READ_INTERVAL_STEPS == CLOCK_READ_INTERVAL_STEPS - 1 && System.nanoTime() - deadlineNanos > 0);
            if (!exhausted) {
                steps++;
            }
            return !exhausted;
        }
    }

    /** A call or return entry of the search list. */
    private static final class Entry {
        final int op;
        final long time;
        /** For a call entry, its return entry (null for INFO); null for a return entry. */
        Entry returnEntry;
        final boolean call;
        Entry prev;
        Entry next;

        Entry(int op, long time, boolean call) {
            this.op = op;
            this.time = time;
            this.call = call;
        }

        /** Unlinks this call entry and its return entry. */
        void lift() {
            unlink(this);
            if (returnEntry != null) {
                unlink(returnEntry);
            }
        }

        /** Relinks in the reverse order of {@link #lift}, which the unlinked entries' own pointers allow. */
        void unlift() {
            if (returnEntry != null) {
                relink(returnEntry);
            }
            relink(this);
        }

        private static void unlink(Entry e) {
            e.prev.next = e.next;
            if (e.next != null) {
                e.next.prev = e.prev;
            }
        }

        private static void relink(Entry e) {
            e.prev.next = e;
            if (e.next != null) {
                e.next.prev = e;
            }
        }
    }

    private record Choice<S>(Entry entry, S stateBefore) {
    }

    private record Configuration<S>(BitSet linearized, S state) {
    }

    private static final class Search<S> {
        private final String key;
        private final List<Operation> ops;
        private final Model<S> model;
        private final Meter meter;
        private final Entry head = new Entry(-1, Long.MIN_VALUE, false);

        private int bestDepth = -1;
        private List<Operation> bestLinearization = List.of();
        private S bestState;
        private List<Operation> bestCandidates = List.of();
        private Operation bestDeadline;

        Search(String key, List<Operation> ops, Model<S> model, Meter meter) {
            this.key = key;
            this.ops = ops;
            this.model = model;
            this.meter = meter;
            link();
        }

        /** Orders entries by time, calls before returns at equal times: touching intervals overlap. */
        private void link() {
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                Operation op = ops.get(i);
                Entry call = new Entry(i, op.invokeNanos(), true);
                entries.add(call);
                if (op.outcome() == Outcome.OK) {
                    call.returnEntry = new Entry(i, op.completeNanos(), false);
                    entries.add(call.returnEntry);
                }
            }
            entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
            Entry last = head;
            for (Entry e : entries) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        PartitionResult run() {
            int unplacedOk = (int) ops.stream().filter(op -> op.outcome() == Outcome.OK).count();
            BitSet linearized = new BitSet(ops.size());
            Set<Configuration<S>> seen = new HashSet<>();
            Deque<Choice<S>> choices = new ArrayDeque<>();
            S state = model.init();
            remember(choices, state);
            Entry entry = head.next;
            while (unplacedOk > 0) {
                if (!meter.spend()) {
                    return result(Verdict.UNKNOWN);
                }
                if (entry.call) {
                    Operation op = ops.get(entry.op);
                    Optional<S> next = model.step(state, op.call(), op.result());
                    if (next.isPresent()) {
                        BitSet placed = (BitSet) linearized.clone();
                        placed.set(entry.op);
                        if (seen.add(new Configuration<>(placed, next.get()))) {
                            choices.push(new Choice<>(entry, state));
                            state = next.get();
                            linearized.set(entry.op);
                            if (op.outcome() == Outcome.OK) {
                                unplacedOk--;
                            }
                            entry.lift();
                            remember(choices, state);
                            entry = head.next;
                            continue;
                        }
                    }
                    entry = entry.next;
                } else {
                    // An unplaced operation completed here: no order of what is left starts with
                    // the choices made so far. Entries before this one were all calls, so while OK
                    // operations remain the walk never runs off the end of the list.
                    if (choices.isEmpty()) {
                        return result(Verdict.NOT_LINEARIZABLE);
                    }
                    Choice<S> undone = choices.pop();
                    state = undone.stateBefore();
                    linearized.clear(undone.entry().op);
                    if (ops.get(undone.entry().op).outcome() == Outcome.OK) {
                        unplacedOk++;
                    }
                    undone.entry().unlift();
                    entry = undone.entry().next;
                }
            }
            capture(choices, state);
            return result(Verdict.LINEARIZABLE);
        }

        /** Keeps the deepest prefix reached, for the report. */
        private void remember(Deque<Choice<S>> choices, S state) {
            if (choices.size() > bestDepth) {
                capture(choices, state);
            }
        }

        private void capture(Deque<Choice<S>> choices, S state) {
            bestDepth = choices.size();
            List<Operation> prefix = new ArrayList<>(choices.size());
            choices.descendingIterator().forEachRemaining(c -> prefix.add(ops.get(c.entry().op)));
            bestLinearization = prefix;
            bestState = state;
            List<Operation> candidates = new ArrayList<>();
            Entry e = head.next;
            while (e != null && e.call) {
                candidates.add(ops.get(e.op));
                e = e.next;
            }
            bestCandidates = candidates;
            bestDeadline = e == null ? null : ops.get(e.op);
        }

        private PartitionResult result(Verdict verdict) {
            return new PartitionResult(key, verdict, ops.size(), bestLinearization, String.valueOf(bestState),
                    verdict == Verdict.LINEARIZABLE ? List.of() : bestCandidates,
                    verdict == Verdict.LINEARIZABLE ? null : bestDeadline);
        }
    }
}
