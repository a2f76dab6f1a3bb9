package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Result.Revision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the one property that crosses keys and locks, which the per-object linearizability search
 * cannot see: every write (config writes, CAS, deletes, fenced writes, lock grants) draws its
 * revision from one global counter. So revisions answered to OK operations are all distinct (two
 * grants never share a fencing token, even on different locks), and when one such operation
 * completes before another is invoked, its revision is the smaller.
 */
public final class RevisionCounterChecker {
    private RevisionCounterChecker() {
    }

    private record Revised(Operation op, long revision) {
    }

    public static List<Violation> check(History history) {
        List<Revised> revised = new ArrayList<>();
        for (Operation op : history.operations()) {
            if (op.result() instanceof Revision r) {
                revised.add(new Revised(op, r.revision()));
            }
        }
        List<Violation> violations = new ArrayList<>();
        Map<Long, Operation> byRevision = new HashMap<>();
        for (Revised r : revised) {
            Operation earlier = byRevision.putIfAbsent(r.revision(), r.op());
            if (earlier != null) {
                violations.add(new Violation("revision " + r.revision() + " answered twice", List.of(earlier, r.op())));
            }
        }
        // Sweep invocations in time order, folding in every operation completed strictly before.
        List<Revised> byCompletion = revised.stream().sorted(Comparator.comparingLong(r -> r.op().completeNanos())).toList();
        List<Revised> byInvocation = revised.stream().sorted(Comparator.comparingLong(r -> r.op().invokeNanos())).toList();
        Revised highestCompleted = null;
        int completed = 0;
        for (Revised later : byInvocation) {
            while (completed < byCompletion.size() && byCompletion.get(completed).op().completeNanos() < later.op().invokeNanos()) {
                Revised r = byCompletion.get(completed++);
                if (highestCompleted == null || r.revision() > highestCompleted.revision()) {
                    highestCompleted = r;
                }
            }
            if (highestCompleted != null && highestCompleted.revision() >= later.revision()) {
                violations.add(new Violation("revision " + later.revision() + " was answered after revision "
                        + highestCompleted.revision() + " had completed", List.of(highestCompleted.op(), later.op())));
            }
        }
        return violations;
    }
}
