package io.latchkey.jepsen.checker;

import java.util.List;

/** An anomaly found by one of the non-search checkers, with the operations that show it. */
public record Violation(String reason, List<Operation> operations) {
    public Violation {
        operations = List.copyOf(operations);
    }

    public String describe() {
        StringBuilder text = new StringBuilder(reason).append('\n');
        operations.forEach(op -> text.append("    ").append(op.describe()).append('\n'));
        return text.toString();
    }
}
