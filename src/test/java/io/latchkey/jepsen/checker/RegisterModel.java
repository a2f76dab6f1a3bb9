package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Write;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;
import io.latchkey.jepsen.checker.Result.ValueAt;

import java.util.Optional;

/**
 * One config key as a CAS register with revisions: linearizable reads, writes, CAS on
 * modRevision, deletes, and fenced writes that the service accepted (their fencing is
 * {@link FencedResourceModel}'s business; here they are plain writes).
 *
 * <p>Revisions come from one global counter, so a single key sees increasing but not consecutive
 * revisions: the model checks that each write's revision exceeds every revision the key had
 * before, not its exact value. Reads answer value and modRevision only, so createRevision and
 * version are not modelled.
 */
public final class RegisterModel implements Model<RegisterModel.State> {

    /** modRevision of a present key written by an INFO operation: some revision above the floor. */
    public static final long UNKNOWN_REVISION = -1;

    /**
     * @param value          null while the key is absent
     * @param modRevision    0 while absent, {@link #UNKNOWN_REVISION} after an INFO write until a
     *                       read or CAS pins it
     * @param revisionFloor  the highest revision this key is known to have had; every later write
     *                       (and an unknown modRevision) is above it
     */
    public record State(String value, long modRevision, long revisionFloor) {
        static final State ABSENT = new State(null, 0, 0);

        boolean present() {
            return value != null;
        }

        boolean revisionKnown() {
            return modRevision != UNKNOWN_REVISION;
        }

        /** Whether the key's modRevision can equal {@code revision} (0: the key can be absent). */
        boolean mayHaveRevision(long revision) {
            if (revision == 0) {
                return !present();
            }
            return present() && (revisionKnown() ? modRevision == revision : revision > revisionFloor);
        }

        /** Whether the key's modRevision can differ from {@code revision}. */
        boolean mayLackRevision(long revision) {
            if (revision == 0) {
                return present();
            }
            return !present() || !revisionKnown() || modRevision != revision;
        }
    }

    @Override
    public String partitionKey(Call call) {
        return switch (call) {
            case Read r -> r.key();
            case Write w -> w.key();
            case Cas c -> c.key();
            case Delete d -> d.key();
            case FencedWrite f -> f.key();
            default -> null;
        };
    }

    @Override
    public State init() {
        return State.ABSENT;
    }

    @Override
    public Optional<State> step(State state, Call call, Result result) {
        return switch (call) {
            case Read r -> read(state, result);
            case Write w -> write(state, w.value(), result);
            case Cas c -> cas(state, c, result);
            case Delete d -> delete(state, result);
            // A refused fenced write left the key alone; an accepted one is a plain write here.
            case FencedWrite f -> result instanceof Rejected ? Optional.of(state) : write(state, f.value(), result);
            default -> throw new IllegalArgumentException("not a config key call: " + call);
        };
    }

    private static Optional<State> read(State state, Result result) {
        if (result == null) {
            return Optional.of(state);
        }
        ValueAt answer = expect(ValueAt.class, result);
        if (!state.present()) {
            return answer.value() == null ? Optional.of(state) : Optional.empty();
        }
        if (!state.value().equals(answer.value()) || !state.mayHaveRevision(answer.modRevision())) {
            return Optional.empty();
        }
        return Optional.of(new State(state.value(), answer.modRevision(), Math.max(state.revisionFloor(), answer.modRevision())));
    }

    private static Optional<State> write(State state, String value, Result result) {
        if (result == null) {
            return Optional.of(new State(value, UNKNOWN_REVISION, state.revisionFloor()));
        }
        long revision = expect(Revision.class, result).revision();
        return revision > state.revisionFloor() ? Optional.of(new State(value, revision, revision)) : Optional.empty();
    }

    private static Optional<State> cas(State state, Cas cas, Result result) {
        if (result instanceof Rejected) {
            return state.mayLackRevision(cas.expectedRevision()) ? Optional.of(state) : Optional.empty();
        }
        if (!state.mayHaveRevision(cas.expectedRevision())) {
            return Optional.empty();
        }
        // A matching unknown revision is now pinned: the new revision must exceed it too.
        State pinned = new State(state.value(), state.modRevision(), Math.max(state.revisionFloor(), cas.expectedRevision()));
        return write(pinned, cas.value(), result);
    }

    private static Optional<State> delete(State state, Result result) {
        if (result instanceof Rejected) {
            return state.present() ? Optional.empty() : Optional.of(state);
        }
        if (result == null) {
            return Optional.of(new State(null, 0, state.revisionFloor()));
        }
        long revision = expect(Revision.class, result).revision();
        return state.present() && revision > state.revisionFloor()
                ? Optional.of(new State(null, 0, revision))
                : Optional.empty();
    }

    static <R extends Result> R expect(Class<R> type, Result result) {
        if (!type.isInstance(result)) {
            throw new IllegalArgumentException("expected a " + type.getSimpleName() + " result, got " + result);
        }
        return type.cast(result);
    }
}
