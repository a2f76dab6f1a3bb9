package io.latchkey.jepsen.checker;

public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    /** The search ran out of its step or time budget before deciding. */
    UNKNOWN
}
