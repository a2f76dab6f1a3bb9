package io.latchkey.api;

import io.latchkey.node.StateMachine;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.StateConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;

/**
 * The one state machine of this node, for the replica and for the REST resources that read it.
 * The watch history bounds come from {@code latchkey.state.history-events-count-max} and
 * {@code latchkey.state.history-size-bytes-max}, the quota from {@code latchkey.state.quota-bytes}
 * (defaults: {@link StateConfig#DEFAULT}); like the raft settings they must be equal on every
 * member of a cluster.
 */
@ApplicationScoped
public class StateMachineProducer {
    private static final String EVENTS_KEY = "latchkey.state.history-events-count-max";
    private static final String SIZE_KEY = "latchkey.state.history-size-bytes-max";
    private static final String QUOTA_KEY = "latchkey.state.quota-bytes";

    private final LatchkeyStateMachine stateMachine;

    @Inject
    public StateMachineProducer(Config config) {
        StateConfig defaults = StateConfig.DEFAULT;
        int eventsCountMax = config.getOptionalValue(EVENTS_KEY, Integer.class).orElse(defaults.historyEventsCountMax());
        long sizeBytesMax = config.getOptionalValue(SIZE_KEY, Long.class).orElse(defaults.historySizeBytesMax());
        long quotaBytes = config.getOptionalValue(QUOTA_KEY, Long.class).orElse(defaults.quotaBytes());
        this.stateMachine = new LatchkeyStateMachine(stateConfig(eventsCountMax, sizeBytesMax, quotaBytes));
    }

    /** The node stops at start with a message naming the keys an operator sets, not the record's fields. */
    private static StateConfig stateConfig(int eventsCountMax, long sizeBytesMax, long quotaBytes) {
        try {
            return new StateConfig(eventsCountMax, sizeBytesMax, quotaBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(EVENTS_KEY + "=" + eventsCountMax + ", " + SIZE_KEY + "=" + sizeBytesMax
                    + ", " + QUOTA_KEY + "=" + quotaBytes + ": " + e.getMessage(), e);
        }
    }

    /** Injectable as {@link LatchkeyStateMachine} and, for the replica, as {@link StateMachine}. */
    @Produces
    LatchkeyStateMachine latchkeyStateMachine() {
        return stateMachine;
    }
}
