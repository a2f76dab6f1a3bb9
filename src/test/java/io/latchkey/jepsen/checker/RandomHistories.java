package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Release;
import io.latchkey.jepsen.checker.Call.Write;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates histories that are linearizable by construction: each process issues operations one
 * after another with random durations; each operation takes effect at a random instant inside its
 * interval, and a sequential reference service (one global revision counter, config keys, locks
 * whose holders' leases may expire under contention) executes them in that order. Processes choose
 * inputs (CAS revisions, tokens) from the answers they have seen, as real clients do.
 */
final class RandomHistories {

    /**
     * @param infoPercent share of operations whose answer is lost; half of them took effect
     * @param failPercent share of operations refused before taking effect
     */
    record Shape(int processes, int operationsPerProcess, int keys, int locks, int infoPercent, int failPercent) {
    }

    private record Slot(int process, long invoke, long complete, long effect, Outcome planned, boolean applies) {
    }

    private record Stored(String value, long modRevision) {
    }

    private final Random random;
    private final Shape shape;
    private final Map<String, Stored> keys = new HashMap<>();
    private final Map<String, Long> holders = new HashMap<>();
    private long revision;
    /** Per process: the last modRevision it saw per key, and the token it knows it holds per lock. */
    private final List<Map<String, Long>> seenRevisions = new ArrayList<>();
    private final List<Map<String, Long>> heldTokens = new ArrayList<>();

    private RandomHistories(long seed, Shape shape) {
        this.random = new Random(seed);
        this.shape = shape;
        for (int p = 0; p < shape.processes(); p++) {
            seenRevisions.add(new HashMap<>());
            heldTokens.add(new HashMap<>());
        }
    }

    static History generate(long seed, Shape shape) {
        return new RandomHistories(seed, shape).run();
    }

    private History run() {
        List<Slot> slots = new ArrayList<>();
        for (int p = 0; p < shape.processes(); p++) {
            long time = random.nextInt(5);
            for (int i = 0; i < shape.operationsPerProcess(); i++) {
                long duration = 1 + random.nextInt(20);
                int roll = random.nextInt(100);
                Outcome planned = roll < shape.infoPercent() ? Outcome.INFO
                        : roll < shape.infoPercent() + shape.failPercent() ? Outcome.FAIL : Outcome.OK;
                boolean applies = planned == Outcome.OK || (planned == Outcome.INFO && random.nextBoolean());
                slots.add(new Slot(p, time, time + duration, time + random.nextLong(duration + 1), planned, applies));
                time += duration + random.nextInt(4);
            }
        }
        slots.sort(Comparator.comparingLong(Slot::effect));
        List<Operation> ops = new ArrayList<>();
        for (Slot slot : slots) {
            ops.add(execute(slot));
        }
        ops.sort(Comparator.comparingLong(Operation::invokeNanos).thenComparingInt(Operation::process));
        List<Operation> numbered = new ArrayList<>();
        for (Operation op : ops) {
            numbered.add(new Operation(numbered.size(), op.process(), op.call(), op.outcome(), op.result(),
                    op.invokeNanos(), op.completeNanos()));
        }
        return new History(numbered);
    }

    private Operation execute(Slot slot) {
        Call call = choose(slot.process());
        Result result = slot.applies() ? apply(call) : null;
        Outcome outcome = slot.planned();
        if (result == null && outcome == Outcome.OK) {
            // Only an acquire of a held lock has no answer: it waited in the queue and timed out.
            outcome = Outcome.FAIL;
        }
        if (outcome == Outcome.OK) {
            learn(slot.process(), call, result);
        }
        return new Operation(0, slot.process(), call, outcome, outcome == Outcome.OK ? result : null,
                slot.invoke(), slot.complete());
    }

    private Call choose(int process) {
        Map<String, Long> held = heldTokens.get(process);
        if (!held.isEmpty() && random.nextInt(100) < 70) {
            Map.Entry<String, Long> lock = held.entrySet().iterator().next();
            return random.nextInt(100) < 60
                    ? new FencedWrite(resourceKey(lock.getKey()), "f" + random.nextInt(1000), lock.getKey(), lock.getValue())
                    : new Release(lock.getKey(), lock.getValue());
        }
        if (shape.locks() > 0 && random.nextInt(100) < 20) {
            return new Acquire("l" + random.nextInt(shape.locks()));
        }
        String key = "k" + random.nextInt(shape.keys());
        int roll = random.nextInt(100);
        if (roll < 40) {
            boolean resource = shape.locks() > 0 && random.nextInt(100) < 20;
            return new Read(resource ? resourceKey("l" + random.nextInt(shape.locks())) : key);
        }
        String value = "v" + random.nextInt(1000);
        if (roll < 65) {
            return new Write(key, value);
        }
        if (roll < 90) {
            return new Cas(key, seenRevisions.get(process).getOrDefault(key, 0L), value);
        }
        return new Delete(key);
    }

    /** Executes in the reference service; null only for an acquire that cannot be granted. */
    private Result apply(Call call) {
        return switch (call) {
            case Read r -> {
                Stored s = keys.get(r.key());
                yield s == null ? new Result.ValueAt(null, 0) : new Result.ValueAt(s.value(), s.modRevision());
            }
            case Write w -> store(w.key(), w.value());
            case Cas c -> {
                Stored s = keys.get(c.key());
                long current = s == null ? 0 : s.modRevision();
                yield current == c.expectedRevision() ? store(c.key(), c.value()) : new Result.Rejected();
            }
            case Delete d -> {
                if (keys.remove(d.key()) == null) {
                    yield new Result.Rejected();
                }
                yield new Result.Revision(++revision);
            }
            case Acquire a -> {
                // A held lock times the waiter out, unless the holder's lease expires first (as a
                // paused client's would), which happens half the time.
                if (holders.containsKey(a.lock()) && random.nextBoolean()) {
                    yield null;
                }
                holders.put(a.lock(), ++revision);
                yield new Result.Revision(revision);
            }
            case Release r -> {
                if (!Long.valueOf(r.token()).equals(holders.get(r.lock()))) {
                    yield new Result.Rejected();
                }
                holders.remove(r.lock());
                yield new Result.Done();
            }
            case FencedWrite f -> Long.valueOf(f.token()).equals(holders.get(f.lock()))
                    ? store(f.key(), f.value()) : new Result.Rejected();
            case Call.SerializableRead r -> throw new IllegalStateException("not generated: " + r);
        };
    }

    private Result store(String key, String value) {
        keys.put(key, new Stored(value, ++revision));
        return new Result.Revision(revision);
    }

    private void learn(int process, Call call, Result result) {
        Map<String, Long> seen = seenRevisions.get(process);
        Map<String, Long> held = heldTokens.get(process);
        switch (call) {
            case Read r -> seen.put(r.key(), ((Result.ValueAt) result).modRevision());
            case Write w -> seen.put(w.key(), ((Result.Revision) result).revision());
            case Cas c -> {
                if (result instanceof Result.Revision rev) {
                    seen.put(c.key(), rev.revision());
                }
            }
            case Acquire a -> held.put(a.lock(), ((Result.Revision) result).revision());
            // A refused release or fenced write means the lease expired: the lock is lost either way.
            case Release r -> held.remove(r.lock());
            case FencedWrite f -> {
                if (result instanceof Result.Rejected) {
                    held.remove(f.lock());
                }
            }
            default -> {
            }
        }
    }

    static String resourceKey(String lock) {
        return "resource-" + lock;
    }
}
