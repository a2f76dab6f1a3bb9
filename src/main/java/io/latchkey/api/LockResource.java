package io.latchkey.api;

import io.latchkey.metrics.NodeMetrics;
import io.latchkey.state.Limits;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.GiveUpLock;
import io.latchkey.state.proto.LockGrant;
import io.latchkey.state.proto.LockQueued;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.ReleaseLock;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fenced locks. An acquire is granted at once or waits in the replicated FIFO queue for up to
 * {@code waitMillis}; every grant carries a fencing token that only grows. A waiter that runs
 * out of time gives up through the log, so the queue never hands the lock to someone gone.
 * Served through {@link StateRoutes}; a waiting acquire blocks only its request's virtual
 * thread.
 */
@ApplicationScoped
public class LockResource {
    static final RouteTable<LockResource> ROUTES = new RouteTable<LockResource>()
            .add("GET", "/v1/locks", LockResource::list)
            .add("POST", "/v1/locks/{name}", LockResource::acquire)
            .add("DELETE", "/v1/locks/{name}", LockResource::release)
            .add("GET", "/v1/locks/{name}", LockResource::get);
    private static final Map<String, String> FIELDS = Map.of(
            "lease_id", "leaseId", "ttl_seconds", "ttlSeconds", "wait_millis", "waitMillis",
            "owner", "owner", "name", "name", "token", "token");

    private final StateAccess state;
    private final StateEvents events;
    private final NodeMetrics metrics;
    private final LeaderForwarding forwarding;

    @Inject
    public LockResource(StateAccess state, StateEvents events, NodeMetrics metrics, LeaderForwarding forwarding) {
        this.state = state;
        this.events = events;
        this.metrics = metrics;
        this.forwarding = forwarding;
    }

    record AcquireJson(Long leaseId, Long ttlSeconds, Long waitMillis, String owner) {
        private static final Set<String> FIELDS = Set.of("leaseId", "ttlSeconds", "waitMillis", "owner");

        static AcquireJson of(JsonObject body) {
            JsonText.requireOnly(body, FIELDS);
            return new AcquireJson(JsonText.longField(body, "leaseId"), JsonText.longField(body, "ttlSeconds"),
                    JsonText.longField(body, "waitMillis"), JsonText.stringField(body, "owner"));
        }
    }

    record HeldJson(String name, long token, long leaseId, String owner) {
        JsonText json() {
            return JsonText.object().field("leaseId", leaseId).field("name", name).field("owner", owner).field("token", token);
        }
    }

    void acquire(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        String name = x.path("name");
        AcquireJson r = AcquireJson.of(x.jsonBody());
        x.json(acquire(name, r, x.header(ApiExchange.IDEMPOTENCY_KEY)));
    }

    private JsonText acquire(String name, AcquireJson r, String idempotencyKey) {
        StateAccess.check(Limits.checkLockName("name", name));
        if ((r.leaseId() == null) == (r.ttlSeconds() == null)) {
            throw ProblemException.badField(r.leaseId() == null ? "leaseId" : "ttlSeconds",
                    "give exactly one of leaseId (an existing lease) and ttlSeconds (a new lease for this lock)");
        }
        long waitMillis = r.waitMillis() == null ? 0 : r.waitMillis();
        StateAccess.check(Limits.checkWaitMillis("waitMillis", waitMillis));
        AcquireLock.Builder acquire = AcquireLock.newBuilder().setName(name).setWaitMillis(waitMillis)
                .setOwner(r.owner() == null ? "" : r.owner());
        if (r.leaseId() != null) {
            StateAccess.check(Limits.checkPositive("leaseId", r.leaseId()));
            acquire.setLeaseId(r.leaseId());
        } else {
            StateAccess.check(Limits.checkTtlSeconds("ttlSeconds", r.ttlSeconds()));
            acquire.setTtlSeconds(r.ttlSeconds());
        }
        if (r.owner() != null) {
            StateAccess.check(Limits.checkOwner("owner", r.owner()));
        }
        Result result = state.write(Command.newBuilder().setAcquireLock(acquire), idempotencyKey);
        if (result.getStatus() == Status.BUSY) {
            throw new ProblemException(409, "Lock held", "the lock " + name + " is held and waitMillis is 0", "waitMillis");
        }
        StateAccess.requireSuccess(result, FIELDS::get);
        if (result.getStatus() == Status.OK) {
            return held(result.getHeld()).json();
        }
        metrics.lockWaitStarted();
        return awaitGrant(result.getQueued(), waitMillis, r.ttlSeconds() != null, idempotencyKey).json();
    }

    /** Waits in the queue; on timeout gives up through the log (which also undoes a late grant). */
    private HeldJson awaitGrant(LockQueued queued, long waitMillis, boolean ownLease, String idempotencyKey) {
        CompletableFuture<LockGrant> grant = events.awaitGrant(queued.getTicket());
        // The grant may have been applied before we started listening.
        state.read("serializable", view -> view.lock(queued.getName()))
                .filter(lock -> lock.getHolder().getTicket() == queued.getTicket())
                .ifPresent(lock -> grant.complete(lock.getHolder()));
        try {
            return held(grant.get(waitMillis, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            events.forgetGrant(queued.getTicket());
            GiveUpLock giveUp = GiveUpLock.newBuilder().setName(queued.getName()).setTicket(queued.getTicket())
                    .setRevokeLease(ownLease).build();
            Result result = state.write(Command.newBuilder().setGiveUpLock(giveUp),
                    idempotencyKey == null ? null : idempotencyKey + "/give-up");
            if (result.getStatus() != Status.NOT_FOUND) {
                // NOT_FOUND: the wait ended meanwhile (its lease was revoked); not acquired either way.
                StateAccess.requireSuccess(result, FIELDS::get);
            }
            throw new ProblemException(409, "Lock not acquired",
                    "the lock " + queued.getName() + " was not granted within " + waitMillis + " ms", "waitMillis");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, "Interrupted", "the request was interrupted", null);
        }
    }

    void release(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        String name = x.path("name");
        Long token = x.queryLong("token");
        String idempotencyKey = x.header(ApiExchange.IDEMPOTENCY_KEY);
        StateAccess.check(Limits.checkLockName("name", name));
        if (token == null) {
            throw ProblemException.badField("token", "token (the fencing token of the grant) is required");
        }
        Result result = state.write(Command.newBuilder().setReleaseLock(ReleaseLock.newBuilder().setName(name).setToken(token)),
                idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        x.noContent();
    }

    void get(ApiExchange x) {
        String name = x.path("name");
        String consistency = x.query("consistency");
        StateAccess.check(Limits.checkLockName("name", name));
        LockState lock = state.read(consistency, view -> view.lock(name).orElse(null));
        if (lock == null) {
            throw new ProblemException(404, "Not found", "the lock " + name + " is free", "name");
        }
        x.json(json(lock));
    }

    void list(ApiExchange x) {
        String prefix = x.query("prefix");
        Integer limit = x.queryInt("limit");
        String consistency = x.query("consistency");
        String p = prefix == null ? "" : prefix;
        StateAccess.check(Limits.checkPrefix("prefix", p));
        int l = limit == null ? Limits.LIST_LIMIT_COUNT_MAX : limit;
        StateAccess.check(Limits.checkListLimit("limit", l));
        x.json(JsonText.object().objects("locks",
                state.read(consistency, view -> view.locks(p, l)).stream().map(lock -> json(lock).toString()).toList()));
    }

    private static HeldJson held(LockGrant grant) {
        return new HeldJson(grant.getName(), grant.getToken(), grant.getLeaseId(), grant.getOwner());
    }

    private static JsonText json(LockState lock) {
        LockGrant h = lock.getHolder();
        return JsonText.object().field("leaseId", h.getLeaseId()).field("name", lock.getName()).field("owner", h.getOwner())
                .field("token", h.getToken())
                .objects("waiters", lock.getWaitersList().stream().map(w -> JsonText.object().field("leaseId", w.getLeaseId())
                        .field("owner", w.getOwner()).field("ticket", w.getTicket()).toString()).toList());
    }

}
