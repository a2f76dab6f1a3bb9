package io.latchkey.jepsen.checker;

/** How a client learned the fate of an operation it invoked. */
public enum Outcome {
    /** The operation definitely took effect, at one instant between invoke and completion, with the recorded result. */
    OK,
    /** The operation definitely did not take effect; the checkers drop it. */
    FAIL,
    /**
     * The client cannot tell (a timeout, a lost connection): the operation may take effect at any
     * instant after its invocation, even after the test ends, or never. Checkers treat its
     * completion time as +infinity and may place it anywhere after its invocation or leave it out.
     */
    INFO
}
