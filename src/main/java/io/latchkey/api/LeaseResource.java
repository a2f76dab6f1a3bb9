package io.latchkey.api;

import io.latchkey.security.Caller;
import io.latchkey.security.ClientAuth;
import jakarta.annotation.security.RolesAllowed;
import io.latchkey.state.Limits;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.GrantLease;
import io.latchkey.state.proto.KeepAlive;
import io.latchkey.state.proto.LeaseInfo;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.RevokeLease;
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

import java.net.URI;
import java.util.List;
import java.util.Map;

/** Leases: time-limited sessions that hold locks and keys, kept alive by their client. */
@ApplicationScoped
@Path("/v1/leases")
@Produces(MediaType.APPLICATION_JSON)
public class LeaseResource {
    private static final Map<String, String> FIELDS = Map.of("ttl_seconds", "ttlSeconds", "lease_id", "id");

    private final StateAccess state;
    private final ClientAuth auth;

    /** The current request's, through Jersey's proxy (see ConfigResource#security). */
    @Context
    SecurityContext security;

    @Inject
    public LeaseResource(StateAccess state, ClientAuth auth) {
        this.state = state;
        this.auth = auth;
    }

    public record GrantJson(Long ttlSeconds) {
    }

    public record LeaseJson(long id, long ttlSeconds) {
    }

    public record KeepAliveJson(long id, long ttlSeconds, long remainingMillis) {
    }

    public record LeaseDetailJson(long id, long ttlSeconds, long remainingMillis, List<String> keys,
                                  List<String> locks, List<String> awaitedLocks) {
    }

    @POST
    @RolesAllowed(Caller.WRITER)
    @Consumes(MediaType.APPLICATION_JSON)
    public Response grant(GrantJson request, @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        if (request == null || request.ttlSeconds() == null) {
            throw ProblemException.badField("ttlSeconds", "ttlSeconds is required");
        }
        StateAccess.check(Limits.checkTtlSeconds("ttlSeconds", request.ttlSeconds()));
        Result result = state.write(Command.newBuilder().setGrantLease(GrantLease.newBuilder().setTtlSeconds(request.ttlSeconds())),
                auth.caller(security), idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        LeaseInfo lease = result.getLease();
        return Response.created(URI.create("/v1/leases/" + lease.getId()))
                .entity(new LeaseJson(lease.getId(), lease.getTtlSeconds())).build();
    }

    @POST
    @Path("{id}/keepalive")
    @RolesAllowed(Caller.WRITER)
    public KeepAliveJson keepAlive(@PathParam("id") long id, @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkPositive("id", id));
        Result result = state.write(Command.newBuilder().setKeepAlive(KeepAlive.newBuilder().setLeaseId(id)), auth.caller(security),
                idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        LeaseInfo lease = result.getLease();
        return new KeepAliveJson(lease.getId(), lease.getTtlSeconds(), lease.getRemainingMillis());
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Caller.READER)
    public LeaseDetailJson get(@PathParam("id") long id, @QueryParam("consistency") String consistency) {
        StateAccess.check(Limits.checkPositive("id", id));
        long now = state.leaseNowMillis();
        LeaseInfo lease = state.read(consistency, view -> view.lease(id, now).orElse(null));
        if (lease == null) {
            throw new ProblemException(404, "Not found", "no lease " + id, "id");
        }
        return new LeaseDetailJson(lease.getId(), lease.getTtlSeconds(), lease.getRemainingMillis(),
                lease.getKeysList(), lease.getHeldLocksList(), lease.getAwaitedLocksList());
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed(Caller.WRITER)
    public Response revoke(@PathParam("id") long id, @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkPositive("id", id));
        Result result = state.write(Command.newBuilder().setRevokeLease(RevokeLease.newBuilder().setLeaseId(id)), auth.caller(security),
                idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        return Response.noContent().build();
    }
}
