package io.latchkey.jepsen.checker;

import java.util.List;

/**
 * The verdict for one object (key or lock), with what a person needs to diagnose a violation.
 *
 * @param partition          the object's name
 * @param verdict            for this object alone
 * @param operationCount     OK and INFO operations searched (FAIL ones are dropped)
 * @param linearization      the longest linearizable prefix the search found, in linearization
 *                           order; when LINEARIZABLE, a full linearization (INFO operations that
 *                           are left out did not take effect)
 * @param stateAfter         the model state after {@code linearization}
 * @param candidatesAfter    operations that could have come next after the prefix; when
 *                           NOT_LINEARIZABLE, none of them could be linearized there
 * @param deadline           the earliest-completing operation not in the prefix: it had to be
 *                           linearized before anything that starts after it completed; null when
 *                           the prefix is complete
 */
public record PartitionResult(String partition, Verdict verdict, int operationCount,
                              List<Operation> linearization, String stateAfter,
                              List<Operation> candidatesAfter, Operation deadline) {
    public PartitionResult {
        linearization = List.copyOf(linearization);
        candidatesAfter = List.copyOf(candidatesAfter);
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append(partition).append(": ").append(verdict).append(" (").append(operationCount).append(" operations)\n");
        if (verdict == Verdict.LINEARIZABLE) {
            return text.toString();
        }
        text.append("  longest linearizable prefix (").append(linearization.size()).append(" operations):\n");
        linearization.forEach(op -> text.append("    ").append(op.describe()).append('\n'));
        text.append("  state after it: ").append(stateAfter).append('\n');
        text.append("  could not continue with:\n");
        candidatesAfter.forEach(op -> text.append("    ").append(op.describe()).append('\n'));
        if (deadline != null) {
            text.append("  before the completion of: ").append(deadline.describe()).append('\n');
        }
        return text.toString();
    }
}
