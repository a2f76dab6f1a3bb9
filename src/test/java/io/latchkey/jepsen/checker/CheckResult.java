package io.latchkey.jepsen.checker;

import java.util.List;

/**
 * A whole history's verdict: NOT_LINEARIZABLE if any object is, else UNKNOWN if any object ran out
 * of budget, else LINEARIZABLE.
 *
 * @param steps model steps and backtracks spent over all partitions
 */
public record CheckResult(Verdict verdict, List<PartitionResult> partitions, long steps) {
    public CheckResult {
        partitions = List.copyOf(partitions);
    }

    static CheckResult of(List<PartitionResult> partitions, long steps) {
        Verdict verdict = Verdict.LINEARIZABLE;
        for (PartitionResult p : partitions) {
            if (p.verdict() == Verdict.NOT_LINEARIZABLE) {
                verdict = Verdict.NOT_LINEARIZABLE;
                break;
            }
            if (p.verdict() == Verdict.UNKNOWN) {
                verdict = Verdict.UNKNOWN;
            }
        }
        return new CheckResult(verdict, partitions, steps);
    }

    /** Partitions that are not LINEARIZABLE. */
    public List<PartitionResult> problems() {
        return partitions.stream().filter(p -> p.verdict() != Verdict.LINEARIZABLE).toList();
    }

    public String describe() {
        StringBuilder text = new StringBuilder(verdict + " after " + steps + " steps over " + partitions.size() + " partitions\n");
        problems().forEach(p -> text.append(p.describe()));
        return text.toString();
    }
}
