package io.latchkey.api;

import io.latchkey.metrics.NodeMetrics;
import io.latchkey.security.Caller;
import io.latchkey.security.ClientAuth;
import jakarta.annotation.security.RolesAllowed;
import io.latchkey.state.Limits;
import io.latchkey.state.StateView;
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
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fenced locks. An acquire is granted at once or waits in the replicated FIFO queue for up to
 * {@code waitMillis}; every grant carries a fencing token that only grows. A waiter that runs
 * out of time gives up through the log, so the queue never hands the lock to someone gone.
 * A waiting acquire blocks only its request's virtual thread.
 */
@ApplicationScoped
@Path("/v1/locks")
@Produces(MediaType.APPLICATION_JSON)
public class LockResource {
    private static final Map<String, String> FIELDS = Map.of(
            "lease_id", "leaseId", "ttl_seconds", "ttlSeconds", "wait_millis", "waitMillis",
            "owner", "owner", "name", "name", "token", "token");

    private final StateAccess state;
    private final StateEvents events;
    private final NodeMetrics metrics;
    private final ClientAuth auth;

    /** The current request's, through Jersey's proxy (see ConfigResource#security). */
    @Context
    SecurityContext security;

    @Inject
    public LockResource(StateAccess state, StateEvents events, NodeMetrics metrics, ClientAuth auth) {
        this.state = state;
        this.events = events;
        this.metrics = metrics;
        this.auth = auth;
    }

    public record AcquireJson(Long leaseId, Long ttlSeconds, Long waitMillis, String owner) {
    }

    public record HeldJson(String name, long token, long leaseId, String owner) {
    }

    public record WaiterJson(long ticket, long leaseId, String owner) {
    }

    /** {@code token} is null (omitted) for a caller that is neither the holder's subject nor an admin. */
    public record LockJson(String name, Long token, long leaseId, String owner, List<WaiterJson> waiters) {
    }

    public record LockListJson(List<LockJson> locks) {
    }

    @POST
    @Path("{name: .+}")
    @RolesAllowed(Caller.WRITER)
    @Consumes(MediaType.APPLICATION_JSON)
    public HeldJson acquire(@PathParam("name") String name, AcquireJson request,
                            @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkLockName("name", name));
        auth.requireFor(security, Caller.WRITER, name, "name");
        AcquireJson r = request == null ? new AcquireJson(null, null, null, null) : request;
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
        Result result = state.write(Command.newBuilder().setAcquireLock(acquire), auth.caller(security), idempotencyKey);
        if (result.getStatus() == Status.BUSY) {
            throw new ProblemException(409, "Lock held", "the lock " + name + " is held and waitMillis is 0", "waitMillis");
        }
        StateAccess.requireSuccess(result, FIELDS::get);
        if (result.getStatus() == Status.OK) {
            return held(result.getHeld());
        }
        metrics.lockWaitStarted();
        return awaitGrant(result.getQueued(), waitMillis, r.ttlSeconds() != null, idempotencyKey);
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

    @DELETE
    @Path("{name: .+}")
    @RolesAllowed(Caller.WRITER)
    public Response release(@PathParam("name") String name, @QueryParam("token") Long token,
                            @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkLockName("name", name));
        auth.requireFor(security, Caller.WRITER, name, "name");
        if (token == null) {
            throw ProblemException.badField("token", "token (the fencing token of the grant) is required");
        }
        Result result = state.write(Command.newBuilder().setReleaseLock(ReleaseLock.newBuilder().setName(name).setToken(token)),
                auth.caller(security), idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        return Response.noContent().build();
    }

    @GET
    @Path("{name: .+}")
    @RolesAllowed(Caller.READER)
    public LockJson get(@PathParam("name") String name, @QueryParam("consistency") String consistency) {
        StateAccess.check(Limits.checkLockName("name", name));
        auth.requireFor(security, Caller.READER, name, "name");
        Caller caller = auth.caller(security);
        LockJson lock = state.read(consistency, view -> view.lock(name).map(l -> json(l, caller, view)).orElse(null));
        if (lock == null) {
            throw new ProblemException(404, "Not found", "the lock " + name + " is free", "name");
        }
        return lock;
    }

    @GET
    @RolesAllowed(Caller.READER)
    public LockListJson list(@QueryParam("prefix") String prefix, @QueryParam("limit") Integer limit,
                             @QueryParam("consistency") String consistency) {
        String p = prefix == null ? "" : prefix;
        StateAccess.check(Limits.checkPrefix("prefix", p));
        auth.requireFor(security, Caller.READER, p, "prefix");
        int l = limit == null ? Limits.LIST_LIMIT_COUNT_MAX : limit;
        StateAccess.check(Limits.checkListLimit("limit", l));
        Caller caller = auth.caller(security);
        return new LockListJson(state.read(consistency,
                view -> view.locks(p, l).stream().map(lock -> json(lock, caller, view)).toList()));
    }

    private static HeldJson held(LockGrant grant) {
        return new HeldJson(grant.getName(), grant.getToken(), grant.getLeaseId(), grant.getOwner());
    }

    /**
     * The token releases the lock and fences writes, so only the holder's subject and admins
     * see it (everyone with auth off, {@code caller} null).
     */
    private static LockJson json(LockState lock, Caller caller, StateView view) {
        LockGrant h = lock.getHolder();
        boolean seesToken = caller == null || caller.isAdmin()
                || caller.subject().equals(view.leaseSubject(h.getLeaseId()));
        return new LockJson(lock.getName(), seesToken ? h.getToken() : null, h.getLeaseId(), h.getOwner(),
                lock.getWaitersList().stream().map(w -> new WaiterJson(w.getTicket(), w.getLeaseId(), w.getOwner())).toList());
    }
}
