package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Release;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;

import java.util.Optional;

/**
 * A resource guarded by a lock's fencing token: {@link LockModel} plus fenced config writes, which
 * the service must accept exactly while their token is the lock's current holder. This is the
 * safety property clients rely on (Kleppmann's fencing argument; Jepsen's etcd 3.4.3 analysis
 * showed that mutual exclusion alone is not enough under pauses). Partitioned by lock: the
 * written key's contents are {@link RegisterModel}'s business.
 */
public final class FencedResourceModel implements Model<LockModel.State> {
    private final LockModel lock;

    public FencedResourceModel(LockModel lock) {
        this.lock = lock;
    }

    @Override
    public String partitionKey(Call call) {
        return switch (call) {
            case Acquire a -> a.lock();
            case Release r -> r.lock();
            case FencedWrite f -> f.lock();
            default -> null;
        };
    }

    @Override
    public LockModel.State init() {
        return lock.init();
    }

    @Override
    public Optional<LockModel.State> step(LockModel.State state, Call call, Result result) {
        if (!(call instanceof FencedWrite write)) {
            return lock.step(state, call, result);
        }
        if (result instanceof Rejected) {
            return lock.refused(state, write.token());
        }
        if (result != null) {
            RegisterModel.expect(Revision.class, result);
        }
        return state.mayBeHeldBy(write.token()) ? Optional.of(state.pinnedTo(write.token())) : Optional.empty();
    }
}
