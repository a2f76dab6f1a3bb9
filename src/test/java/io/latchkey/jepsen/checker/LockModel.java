package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Release;
import io.latchkey.jepsen.checker.Result.Done;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;

import java.util.Optional;

/**
 * One lock with fencing tokens: a grant needs a free lock and a token above every earlier grant's
 * (tokens are grant revisions of the global counter); a release succeeds exactly for the holder's
 * token.
 *
 * <p>A lease expiry frees a lock without any client operation. With {@link #leasesMayExpire()} the
 * model lets a held lock be free at any moment, and it decides lazily: a state "held by t" then
 * stands for "held by t, or freed by expiry", and only an operation that can be explained by
 * expiry alone (a grant to someone else, a refusal of t) resolves it to free. This keeps the model
 * deterministic, so the checker's memoisation stays exact. Use {@link #leasesNeverExpire()} when
 * the test's leases outlive it: then granting a held lock is itself a violation.
 */
public final class LockModel implements Model<LockModel.State> {

    /** holderToken of a lock granted by an INFO acquire: some token above the floor. */
    public static final long UNKNOWN_TOKEN = -1;
    static final long FREE = 0;

    /**
     * @param holderToken {@link #FREE}, the holder's token, or {@link #UNKNOWN_TOKEN}
     * @param tokenFloor  the highest token known granted, so never below a known holder's token;
     *                    later grants (and an unknown holder) are above it
     */
    public record State(long holderToken, long tokenFloor) {
        static final State INITIAL = new State(FREE, 0);

        boolean free() {
            return holderToken == FREE;
        }

        /** Whether {@code token} can be the holder's. */
        boolean mayBeHeldBy(long token) {
            return holderToken == token || (holderToken == UNKNOWN_TOKEN && token > tokenFloor);
        }

        /** Whether {@code token} is certainly the holder's (so only an expiry explains its refusal). */
        boolean heldBy(long token) {
            return holderToken == token;
        }

        /** The state once {@code token} is known to hold the lock. */
        State pinnedTo(long token) {
            return new State(token, Math.max(tokenFloor, token));
        }

        State released() {
            return new State(FREE, tokenFloor);
        }
    }

    private final boolean leasesMayExpire;

    private LockModel(boolean leasesMayExpire) {
        this.leasesMayExpire = leasesMayExpire;
    }

    public static LockModel leasesNeverExpire() {
        return new LockModel(false);
    }

    public static LockModel leasesMayExpire() {
        return new LockModel(true);
    }

    @Override
    public String partitionKey(Call call) {
        return switch (call) {
            case Acquire a -> a.lock();
            case Release r -> r.lock();
            default -> null;
        };
    }

    @Override
    public State init() {
        return State.INITIAL;
    }

    @Override
    public Optional<State> step(State state, Call call, Result result) {
        return switch (call) {
            case Acquire a -> acquire(state, result);
            case Release r -> release(state, r.token(), result);
            default -> throw new IllegalArgumentException("not a lock call: " + call);
        };
    }

    private Optional<State> acquire(State state, Result result) {
        if (!state.free() && !leasesMayExpire) {
            return Optional.empty();
        }
        if (result == null) {
            return Optional.of(new State(UNKNOWN_TOKEN, state.tokenFloor()));
        }
        long token = RegisterModel.expect(Revision.class, result).revision();
        return token > state.tokenFloor() ? Optional.of(state.pinnedTo(token)) : Optional.empty();
    }

    private Optional<State> release(State state, long token, Result result) {
        if (result instanceof Rejected) {
            return refused(state, token);
        }
        if (result != null) {
            RegisterModel.expect(Done.class, result);
        }
        return state.mayBeHeldBy(token) ? Optional.of(state.pinnedTo(token).released()) : Optional.empty();
    }

    /**
     * A refusal of {@code token}: fine when someone else holds the lock; when {@code token} surely
     * holds it, only an expiry explains the refusal.
     */
    Optional<State> refused(State state, long token) {
        if (!state.heldBy(token)) {
            return Optional.of(state);
        }
        return leasesMayExpire ? Optional.of(state.released()) : Optional.empty();
    }
}
