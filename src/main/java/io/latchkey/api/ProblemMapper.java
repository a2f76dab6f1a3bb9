package io.latchkey.api;

import io.latchkey.node.ReplicaException;
import io.latchkey.server.Membership;
import jakarta.json.bind.JsonbException;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.glassfish.jersey.server.ParamException;

import java.net.URI;

/**
 * Turns every failure into a problem+json answer that says what to do next: a 503 with
 * {@code Retry-After} when there is no leader, a 307 to the leader for leader-only requests,
 * and the request field for bad input.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {
    @Context
    private UriInfo uriInfo;

    @Override
    public Response toResponse(Throwable error) {
        Throwable e = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (e instanceof ProblemException p) {
            Response response = Problem.response(p.status(), p.title(), p.getMessage(), p.field());
            // Every 503 (no leader yet, node not started) tells the client when to come back.
            return p.status() == 503 ? withRetryAfter(response) : response;
        }
        if (e instanceof Membership.NotLeaderException n) {
            if (n.leaderClientUrl() == null) {
                return withRetryAfter(Problem.response(503, "No leader", n.getMessage(), null));
            }
            return Response.fromResponse(Problem.response(307, "Not the leader", n.getMessage(), null))
                    .location(URI.create(n.leaderClientUrl() + "/" + uriInfo.getPath().replaceFirst("^/", "")))
                    .build();
        }
        if (e instanceof Membership.MembershipException m) {
            return Problem.response(m.status(), "Membership change refused", m.getMessage(), null);
        }
        if (e instanceof ReplicaException r) {
            return switch (r.reason()) {
                case NO_LEADER, DROPPED -> withRetryAfter(Problem.response(503, "Unavailable", r.getMessage(), null));
                case TIMEOUT, LEADER_CHANGED -> withRetryAfter(Problem.response(504, "Outcome unknown", r.getMessage(), null));
                case STOPPED -> withRetryAfter(Problem.response(503, "Stopping", r.getMessage(), null));
            };
        }
        if (e instanceof ParamException p) {
            // A query, path or header parameter that does not convert (e.g. limit=abc): the spec
            // says 404 for path and query parameters, but the client needs to know which field.
            return Problem.response(400, "Invalid request", p.getParameterName() + " has the wrong format", p.getParameterName());
        }
        if (e instanceof ProcessingException && causedBy(e, JsonbException.class)) {
            return Problem.response(400, "Invalid request", "the body is not the JSON object this request takes: "
                    + rootCause(e).getMessage(), "body");
        }
        if (e instanceof BadRequestException b) {
            // Jersey's own 400s come from reading the entity (an empty or unreadable body).
            return Problem.response(400, "Invalid request", "the body is missing or unreadable: " + b.getMessage(), "body");
        }
        if (e instanceof jakarta.ws.rs.NotFoundException n) {
            // No resource matched: answering with an entity would stop Helidon from offering the
            // request to its other routes (health, metrics, OpenAPI).
            return n.getResponse();
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            Response problem = Problem.response(status, w.getResponse().getStatusInfo().getReasonPhrase(), w.getMessage(), null);
            // A 405 must list the methods the path takes (RFC 9110 section 15.5.6); Jersey put them in Allow.
            String allow = w.getResponse().getHeaderString(HttpHeaders.ALLOW);
            return allow == null ? problem : Response.fromResponse(problem).header(HttpHeaders.ALLOW, allow).build();
        }
        return Problem.response(500, "Internal error", e.toString(), null);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static Response withRetryAfter(Response response) {
        return Response.fromResponse(response).header("Retry-After", "1").build();
    }
}
