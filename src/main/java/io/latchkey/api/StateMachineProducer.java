package io.latchkey.api;

import io.latchkey.node.StateMachine;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.StateConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** The one state machine of this node, for the replica and for the REST resources that read it. */
@ApplicationScoped
public class StateMachineProducer {
    private final LatchkeyStateMachine stateMachine = new LatchkeyStateMachine(StateConfig.DEFAULT);

    /** Injectable as {@link LatchkeyStateMachine} and, for the replica, as {@link StateMachine}. */
    @Produces
    LatchkeyStateMachine latchkeyStateMachine() {
        return stateMachine;
    }
}
