package io.latchkey.jepsen.checker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Records a history while clients run: {@link #invoke} before sending a request, then exactly one of
 * {@link #ok}, {@link #fail} or {@link #info} when its fate is known. Thread-safe, so every client
 * thread can share one recorder and one clock: linearizability compares times across clients.
 */
public final class HistoryRecorder {
    private record Pending(int process, Call call, long invokeNanos) {
    }

    private final LongSupplier nanoClock;
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final List<Operation> completed = new ArrayList<>();
    private int nextId;

    /** @param nanoClock a monotonic clock, e.g. {@code System::nanoTime}, or a simulation's clock */
    public HistoryRecorder(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Records the invocation; returns the id to complete it with. */
    public synchronized int invoke(int process, Call call) {
        int id = nextId++;
        pending.put(id, new Pending(process, call, nanoClock.getAsLong()));
        return id;
    }

    public synchronized void ok(int id, Result result) {
        complete(id, Outcome.OK, result);
    }

    public synchronized void fail(int id) {
        complete(id, Outcome.FAIL, null);
    }

    public synchronized void info(int id) {
        complete(id, Outcome.INFO, null);
    }

    /**
     * The history so far. Operations still in flight are included as INFO: a request without an
     * answer may still take effect, so dropping it would hide writes that later reads observe.
     */
    public synchronized History history() {
        List<Operation> all = new ArrayList<>(completed);
        long now = nanoClock.getAsLong();
        pending.forEach((id, p) -> all.add(new Operation(id, p.process(), p.call(), Outcome.INFO, null, p.invokeNanos(), now)));
        all.sort(Comparator.comparingInt(Operation::id));
        return new History(all);
    }

    private void complete(int id, Outcome outcome, Result result) {
        Pending p = pending.remove(id);
        if (p == null) {
            throw new IllegalStateException("operation #" + id + " is not in flight");
        }
        completed.add(new Operation(id, p.process(), p.call(), outcome, result, p.invokeNanos(), nanoClock.getAsLong()));
    }
}
