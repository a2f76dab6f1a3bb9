package io.latchkey.jepsen;

import io.latchkey.client.LatchkeyException;

/**
 * What the harness knows about one request's fate. The harness's clients send every request
 * once ({@code retryTimeout(Duration.ZERO)}), so a failure is that one attempt's: an answer with
 * its status, a request that never got a connection, or one sent without an answer.
 */
record Answer(Fate fate, int status, String title, String detail) {
    /** How a request ended, as far as the client can tell. */
    enum Fate {
        /** The node answered with {@link #status}. */
        ANSWERED,
        /** The connection was never made: the request cannot have taken effect. */
        NOT_SENT,
        /** Sent, no answer (timeout, reset): it may or may not take effect. */
        UNKNOWN
    }

    /** A request the client completed: the node answered {@code status}. */
    static Answer ok(int status) {
        return new Answer(Fate.ANSWERED, status, null, null);
    }

    /** The fate of a request the client failed with {@code e} (status 0: no answer). */
    static Answer of(LatchkeyException e) {
        if (e.status() != 0) {
            return new Answer(Fate.ANSWERED, e.status(), e.title(), e.getMessage());
        }
        return new Answer(e.isNotSent() ? Fate.NOT_SENT : Fate.UNKNOWN, -1, null, e.getMessage());
    }

    /** Runs a request that returns nothing; {@code status} is its success's. */
    static Answer of(Runnable request, int status) {
        try {
            request.run();
            return ok(status);
        } catch (LatchkeyException e) {
            return of(e);
        }
    }

    boolean answered(int code) {
        return fate == Fate.ANSWERED && status == code;
    }

    /**
     * Whether the request certainly had no effect without telling anything about the state:
     * not sent, or a 503 the node gives before proposing (no leader, not ready, stale leader).
     * A 503 "Stopping" or "Interrupted" may come after a proposal, so it is not one of them.
     */
    boolean certainlyNothing() {
        return fate == Fate.NOT_SENT || (fate == Fate.ANSWERED && status == 503
                && !"Stopping".equals(title) && !"Interrupted".equals(title));
    }

    @Override
    public String toString() {
        String text = detail == null ? "" : " " + Nemesis.oneLine(detail);
        return fate == Fate.ANSWERED ? status + (status >= 300 ? text : "") : fate.name().toLowerCase() + text;
    }
}
