package io.latchkey.jepsen.checker;

import java.util.Optional;

/**
 * A sequential specification for the linearizability checker.
 *
 * <p>States must be immutable values with {@code equals}/{@code hashCode} (records): the checker
 * memoises (linearized set, state) pairs, and two equal states must allow the same futures.
 *
 * @param <S> the state of one object (one config key, one lock)
 */
public interface Model<S> {

    /**
     * The object an operation touches, or null when this model does not cover the call. The
     * checker searches each object's operations separately, which is sound because
     * linearizability is compositional (Herlihy &amp; Wing 1990, "locality"); it is what keeps
     * the search small.
     */
    String partitionKey(Call call);

    /** The state of an object no operation has touched. */
    S init();

    /**
     * The state after {@code call} takes effect in {@code state} and answers {@code result}, or
     * empty when that answer is impossible there. {@code result} is null for an {@link Outcome#INFO}
     * operation: it took effect (the checker covers "never took effect" by leaving it out) with an
     * unknown answer, so the model accepts any answer the call could give.
     */
    Optional<S> step(S state, Call call, Result result);
}
