package io.latchkey.api;

import io.latchkey.security.Caller;
import io.latchkey.server.LatchkeyService;
import jakarta.annotation.security.RolesAllowed;
import io.latchkey.server.Membership;
import io.latchkey.server.ReplicaHost;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/**
 * The cluster and its membership: {@code GET /v1/cluster} on any node; changes on the leader
 * (other nodes answer 307 with the leader's address).
 */
@ApplicationScoped
@Path("/v1/cluster")
@Produces(MediaType.APPLICATION_JSON)
public class ClusterResource {
    private final LatchkeyService service;

    @Inject
    public ClusterResource(LatchkeyService service) {
        this.service = service;
    }

    public record MemberJson(String id, String name, String peerUrl, String clientUrl, String role) {
    }

    public record ClusterJson(String clusterId, String nodeId, String leaderId, long term, long commitIndex,
                              long appliedIndex, List<MemberJson> members) {
    }

    public record AddMemberJson(String name, String peerUrl, String clientUrl) {
    }

    public record AddedMemberJson(String id, String clusterId) {
    }

    public record TransferJson(String id) {
    }

    @GET
    @RolesAllowed(Caller.READER)
    public ClusterJson cluster() {
        ReplicaHost host = host();
        Membership.ClusterView view = new Membership(host.loop()).view();
        List<MemberJson> members = view.members().stream()
                .map(m -> new MemberJson(hex(m.id()), m.name(), m.peerUrl(), m.clientUrl(), m.voter() ? "voter" : "learner"))
                .toList();
        return new ClusterJson(hex(host.identity().clusterId()), hex(view.nodeId()),
                view.leaderId() == 0 ? null : hex(view.leaderId()), view.term(), view.commitIndex(), view.appliedIndex(), members);
    }

    @POST
    @Path("/members")
    @RolesAllowed(Caller.ADMIN)
    @Consumes(MediaType.APPLICATION_JSON)
    public Response addMember(AddMemberJson request) {
        if (request == null) {
            throw ProblemException.badField("body", "a JSON body with peerUrl and clientUrl is required");
        }
        String peerUrl = url("peerUrl", request.peerUrl());
        String clientUrl = url("clientUrl", request.clientUrl());
        String name = request.name() == null || request.name().isBlank() ? peerUrl : request.name().strip();
        ReplicaHost host = host();
        Membership.Added added = new Membership(host.loop()).addLearner(name, peerUrl, clientUrl);
        // 200: a retried add; the learner its first attempt added.
        return Response.status(added.created() ? 201 : 200)
                .entity(new AddedMemberJson(hex(added.id()), hex(host.identity().clusterId()))).build();
    }

    @POST
    @Path("/members/{id}/promote")
    @RolesAllowed(Caller.ADMIN)
    public Response promote(@PathParam("id") String id) {
        new Membership(host().loop()).promote(parseId(id));
        return Response.noContent().build();
    }

    @DELETE
    @Path("/members/{id}")
    @RolesAllowed(Caller.ADMIN)
    public Response remove(@PathParam("id") String id) {
        new Membership(host().loop()).remove(parseId(id));
        return Response.noContent().build();
    }

    @POST
    @Path("/leader")
    @RolesAllowed(Caller.ADMIN)
    @Consumes(MediaType.APPLICATION_JSON)
    public Response transferLeadership(TransferJson request) {
        if (request == null || request.id() == null) {
            throw ProblemException.badField("id", "the id of the member to hand leadership to is required");
        }
        new Membership(host().loop()).transferLeadership(parseId(request.id()));
        return Response.accepted().build();
    }

    private ReplicaHost host() {
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        return host;
    }

    static String hex(long id) {
        return Long.toHexString(id);
    }

    private static long parseId(String id) {
        try {
            long value = Long.parseUnsignedLong(id, 16);
            if (value != 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw ProblemException.badField("id", "'" + id + "' is not a member id (hexadecimal, not 0)");
    }

    private static String url(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ProblemException.badField(field, field + " is required");
        }
        String url = value.strip();
        if (!url.matches("https?://[^/\\s]+(:\\d+)?/?")) {
            throw ProblemException.badField(field, field + " must be http(s)://host:port, got '" + url + "'");
        }
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
