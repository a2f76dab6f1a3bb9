package io.latchkey.jepsen.checker;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A recorded history: every operation a test invoked, none dropped, ordered by id. */
public record History(List<Operation> operations) {
    public History {
        operations = List.copyOf(operations);
        Set<Integer> ids = new HashSet<>();
        for (Operation op : operations) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("duplicate operation id #" + op.id());
            }
        }
    }
}
