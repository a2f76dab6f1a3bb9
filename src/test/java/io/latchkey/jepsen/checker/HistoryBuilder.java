package io.latchkey.jepsen.checker;

import java.util.ArrayList;
import java.util.List;

/** Writes small histories by hand for tests: ids in the order operations are added. */
final class HistoryBuilder {
    private final List<Operation> ops = new ArrayList<>();

    HistoryBuilder ok(int process, long invoke, long complete, Call call, Result result) {
        return add(process, invoke, complete, call, Outcome.OK, result);
    }

    HistoryBuilder fail(int process, long invoke, long complete, Call call) {
        return add(process, invoke, complete, call, Outcome.FAIL, null);
    }

    /** An operation the client gave up on right away; its effect may come at any later time. */
    HistoryBuilder info(int process, long invoke, Call call) {
        return add(process, invoke, invoke, call, Outcome.INFO, null);
    }

    History build() {
        return new History(ops);
    }

    static Result revision(long revision) {
        return new Result.Revision(revision);
    }

    static Result value(String value, long modRevision) {
        return new Result.ValueAt(value, modRevision);
    }

    static Result absent() {
        return new Result.ValueAt(null, 0);
    }

    static Result rejected() {
        return new Result.Rejected();
    }

    static Result done() {
        return new Result.Done();
    }

    private HistoryBuilder add(int process, long invoke, long complete, Call call, Outcome outcome, Result result) {
        ops.add(new Operation(ops.size(), process, call, outcome, result, invoke, complete));
        return this;
    }
}
