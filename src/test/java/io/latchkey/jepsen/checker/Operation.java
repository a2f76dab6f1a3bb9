package io.latchkey.jepsen.checker;

import java.util.Objects;

/**
 * One invoked operation and how it ended.
 *
 * @param id            unique in its history, in invocation order; names the operation in reports
 * @param process       the client that issued it; a process has at most one operation in flight
 * @param call          what was asked
 * @param outcome       how it ended
 * @param result        the answer; non-null exactly when {@code outcome} is {@link Outcome#OK}
 * @param invokeNanos   when the client sent it, on the history's single monotonic clock
 * @param completeNanos when the client learned the outcome (for INFO: when it gave up; checkers
 *                      treat an INFO operation as never completing)
 */
public record Operation(int id, int process, Call call, Outcome outcome, Result result,
                        long invokeNanos, long completeNanos) {
    public Operation {
        Objects.requireNonNull(call, "call");
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.OK) != (result != null)) {
            throw new IllegalArgumentException("a result is recorded exactly for OK operations: #" + id);
        }
        if (completeNanos < invokeNanos) {
            throw new IllegalArgumentException("#" + id + " completes before it is invoked");
        }
    }

    /** One line for reports: {@code #3 p1 Write[key=k, value=a] ok Revision[revision=4] [10, 20]}. */
    public String describe() {
        String end = switch (outcome) {
            case OK -> "ok " + result;
            case FAIL -> "fail";
            case INFO -> "info";
        };
        return "#" + id + " p" + process + " " + call + " " + end + " [" + invokeNanos + ", "
                + (outcome == Outcome.INFO ? "∞" : Long.toString(completeNanos)) + "]";
    }
}
