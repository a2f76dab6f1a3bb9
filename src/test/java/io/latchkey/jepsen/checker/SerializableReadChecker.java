package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.SerializableRead;
import io.latchkey.jepsen.checker.Call.Write;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;
import io.latchkey.jepsen.checker.Result.ValueAt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks serializable reads, which any replica answers from its applied state and may therefore
 * be stale, so linearizability does not apply. Each OK serializable read of key K answering
 * (value v, modRevision m) must satisfy:
 * <ol>
 *   <li><b>Written state.</b> If m is 0, v is absent (the initial state, or one after a delete).
 *       Otherwise some OK or INFO write of K (write, CAS, accepted fenced write) invoked no later
 *       than the read completed produced it: the OK write whose answer is revision m wrote v, or,
 *       when no OK operation of any object answered m, an INFO write of K wrote v. A state from a
 *       write that started after the read returned, or only from FAIL writes, was never there.</li>
 *   <li><b>Monotonic per client.</b> Among one process's serializable reads of K in invocation
 *       order, modRevisions of present values never decrease; an absent answer after a present one
 *       needs an OK or INFO delete of K, invoked no later than the read completed, that is not
 *       known to precede the revision already seen. This holds per member (as in etcd; a
 *       Latchkey node serves local reads only once caught up after each start), so the harness
 *       makes a client that moves to another node a new process.</li>
 * </ol>
 * Reads of the client's own writes are not required: a lagging replica may answer before it
 * applies them.
 */
public final class SerializableReadChecker {
    private SerializableReadChecker() {
    }

    private record KeyState(String key, String value) {
    }

    public static List<Violation> check(History history) {
        Map<Long, Operation> okByRevision = new HashMap<>();
        Map<String, List<Operation>> writesByKey = new HashMap<>();
        List<Operation> reads = new ArrayList<>();
        for (Operation op : history.operations()) {
            if (op.result() instanceof Revision r) {
                okByRevision.put(r.revision(), op);
            }
            KeyState written = written(op);
            if (written != null) {
                writesByKey.computeIfAbsent(written.key(), k -> new ArrayList<>()).add(op);
            }
            if (op.call() instanceof SerializableRead && op.outcome() == Outcome.OK) {
                reads.add(op);
            }
        }
        reads.sort(Comparator.comparingLong(Operation::invokeNanos));

        List<Violation> violations = new ArrayList<>();
        Map<String, Operation> latestPresentRead = new HashMap<>();
        for (Operation read : reads) {
            String key = ((SerializableRead) read.call()).key();
            ValueAt answer = RegisterModel.expect(ValueAt.class, read.result());
            List<Operation> writes = writesByKey.getOrDefault(key, List.of());
            String sessionKey = read.process() + "\u0000" + key;
            Operation previous = latestPresentRead.get(sessionKey);
            long seen = previous == null ? 0 : ((ValueAt) previous.result()).modRevision();
            if (answer.modRevision() == 0) {
                if (previous != null && !deletedSince(writes, seen, read)) {
                    violations.add(new Violation("serializable read of " + key + " went back to absent", List.of(previous, read)));
                }
                continue;
            }
            String problem = unwritten(key, answer, read, okByRevision, writes);
            if (problem != null) {
                violations.add(new Violation(problem, List.of(read)));
            }
            if (answer.modRevision() < seen) {
                violations.add(new Violation("serializable read of " + key + " went back from revision " + seen
                        + " to " + answer.modRevision(), List.of(previous, read)));
            } else {
                latestPresentRead.put(sessionKey, read);
            }
        }
        return violations;
    }

    /** Why the read's present answer is a state that never existed in time, or null if it did. */
    private static String unwritten(String key, ValueAt answer, Operation read, Map<Long, Operation> okByRevision,
                                    List<Operation> writes) {
        Operation writer = okByRevision.get(answer.modRevision());
        if (writer != null) {
            KeyState written = written(writer);
            if (written == null || !written.key().equals(key) || !answer.value().equals(written.value())) {
                return "revision " + answer.modRevision() + " of " + key + " was not " + answer.value() + ": " + writer.describe();
            }
            return writer.invokeNanos() <= read.completeNanos() ? null
                    : "read of " + key + " saw a write that started after it returned: " + writer.describe();
        }
        boolean possible = writes.stream().anyMatch(w -> w.outcome() == Outcome.INFO
                && answer.value().equals(written(w).value()) && w.invokeNanos() <= read.completeNanos());
        return possible ? null : "no write of " + key + " produced " + answer.value() + "@" + answer.modRevision();
    }

    private static boolean deletedSince(List<Operation> writes, long seenRevision, Operation read) {
        return writes.stream().anyMatch(w -> w.call() instanceof Delete
                && w.invokeNanos() <= read.completeNanos()
                && (w.outcome() == Outcome.INFO || ((Revision) w.result()).revision() > seenRevision));
    }

    /** The key and value an OK or INFO operation may have written (value null for a delete), or null. */
    private static KeyState written(Operation op) {
        if (op.outcome() == Outcome.FAIL || op.result() instanceof Rejected) {
            return null;
        }
        return switch (op.call()) {
            case Write w -> new KeyState(w.key(), w.value());
            case Cas c -> new KeyState(c.key(), c.value());
            case FencedWrite f -> new KeyState(f.key(), f.value());
            case Delete d -> new KeyState(d.key(), null);
            default -> null;
        };
    }
}
