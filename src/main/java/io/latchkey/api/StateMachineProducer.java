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
 * {@code latchkey.state.history-size-bytes-max} (defaults: {@link StateConfig#DEFAULT}); like
 * the raft settings they must be equal on every member of a cluster.
 */
@ApplicationScoped
public class StateMachineProducer {
    private final LatchkeyStateMachine stateMachine;

    @Inject
    public StateMachineProducer(Config config) {
        StateConfig defaults = StateConfig.DEFAULT;
        this.stateMachine = new LatchkeyStateMachine(new StateConfig(
                config.getOptionalValue("latchkey.state.history-events-count-max", Integer.class)
                        .orElse(defaults.historyEventsCountMax()),
                config.getOptionalValue("latchkey.state.history-size-bytes-max", Long.class)
                        .orElse(defaults.historySizeBytesMax())));
    }

    /** Injectable as {@link LatchkeyStateMachine} and, for the replica, as {@link StateMachine}. */
    @Produces
    LatchkeyStateMachine latchkeyStateMachine() {
        return stateMachine;
    }
}
