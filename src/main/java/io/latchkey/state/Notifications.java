package io.latchkey.state;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Listener calls collected while a command applies and delivered once it is done, so a
 * listener never sees a half-applied command.
 */
final class Notifications {
    private final List<Consumer<StateListener>> pending = new ArrayList<>();
    private long failureCount;

    void add(Consumer<StateListener> call) {
        pending.add(call);
    }

    /**
     * A listener that throws has a bug, but the command is applied on every replica already;
     * stopping this one would not undo it. Failures are counted for metrics instead.
     */
    void deliver(StateListener listener) {
        for (Consumer<StateListener> call : pending) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                failureCount++;
            }
        }
        pending.clear();
    }

    void discard() {
        pending.clear();
    }

    long failureCount() {
        return failureCount;
    }
}
