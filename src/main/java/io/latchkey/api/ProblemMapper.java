package io.latchkey.api;

import io.latchkey.node.ReplicaException;
import io.latchkey.security.AccessDeniedException;
import io.latchkey.server.Membership;
import jakarta.json.bind.JsonbException;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.glassfish.jersey.server.ParamException;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns every failure into a problem+json answer that says what to do next: a 503 with
 * {@code Retry-After} when there is no leader, a 307 to the leader for leader-only requests,
 * and the request field for bad input.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {
    /** Yasson's message for a field the record lacks (jsonb.fail-on-unknown-properties, see {@link StrictJsonb}). */
    private static final Pattern UNKNOWN_FIELD = Pattern.compile("^Json property (\\S+) can not be mapped");

    @Context
    private UriInfo uriInfo;

    @Override
    public Response toResponse(Throwable error) {
        // A body refused while it was read surfaces wrapped by whichever reader was reading it.
        Throwable e = cause(error, RequestLimits.BodyTooLargeException.class);
        if (e == null) {
            e = unwrap(error);
        }
        Failure failure = failure(e, uriInfo.getPath());
        if (failure != null) {
            return failure.response();
        }
        if (e instanceof AccessDeniedException a) {
            Response problem = Problem.response(a.status(), a.status() == 401 ? "Unauthorized" : "Forbidden", a.getMessage(), a.field());
            // RFC 6750: a 401 names the scheme the client is to use.
            return a.status() == 401 ? Response.fromResponse(problem).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build() : problem;
        }
        if (e instanceof ParamException p) {
            // A query, path or header parameter that does not convert (e.g. limit=abc): the spec
            // says 404 for path and query parameters, but the client needs to know which field.
            return Problem.response(400, "Invalid request", p.getParameterName() + " has the wrong format", p.getParameterName());
        }
        if (e instanceof ProcessingException && causedBy(e, JsonbException.class)) {
            String why = rootCause(e).getMessage();
            Matcher unknown = UNKNOWN_FIELD.matcher(why == null ? "" : why);
            if (unknown.find()) {
                // The schemas say additionalProperties: false: a misspelt waitMilis must not
                // turn a wait into a try-lock unnoticed.
                return Problem.response(400, "Invalid request", "unknown field " + unknown.group(1)
                        + "; see the request's schema in /openapi", unknown.group(1));
            }
            return Problem.response(400, "Invalid request", "the body is not the JSON object this request takes: " + why, "body");
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

    /** A failure as the client gets it: the problem, and what tells it where to go next. */
    record Failure(Problem problem, boolean retryAfter, String location) {
        Failure(Problem problem) {
            this(problem, false, null);
        }

        Response response() {
            Response.ResponseBuilder response = Response.status(problem.status())
                    .type(MediaType.valueOf(Problem.MEDIA_TYPE)).entity(problem);
            if (retryAfter) {
                response.header("Retry-After", "1");
            }
            if (location != null) {
                response.location(URI.create(location));
            }
            return response.build();
        }
    }

    /** The failure's own cause when it only carries one (a failed future). */
    static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /**
     * The answer to a failure of a request or of the node; null for a failure only the web
     * framework knows. {@code path} is the
     * request's path, for the 307 to the leader.
     */
    static Failure failure(Throwable e, String path) {
        if (e instanceof ProblemException p) {
            // Every 503 (no leader yet, node not started) and 504 (outcome unknown) tells the
            // client when to come back.
            return new Failure(Problem.of(p.status(), p.title(), p.getMessage(), p.field()),
                    p.status() == 503 || p.status() == 504, null);
        }
        if (e instanceof Membership.NotLeaderException n) {
            if (n.leaderClientUrl() == null) {
                return new Failure(Problem.of(503, "No leader", n.getMessage(), null), true, null);
            }
            return new Failure(Problem.of(307, "Not the leader", n.getMessage(), null), false,
                    n.leaderClientUrl() + "/" + path.replaceFirst("^/", ""));
        }
        if (e instanceof Membership.MembershipException m) {
            return new Failure(Problem.of(m.status(), "Membership change refused", m.getMessage(), null));
        }
        if (e instanceof ReplicaException r) {
            return switch (r.reason()) {
                case NO_LEADER, DROPPED -> new Failure(Problem.of(503, "Unavailable", r.getMessage(), null), true, null);
                case TIMEOUT, LEADER_CHANGED -> new Failure(Problem.of(504, "Outcome unknown", r.getMessage(), null), true, null);
                case STOPPED -> new Failure(Problem.of(503, "Stopping", r.getMessage(), null), true, null);
                case IDEMPOTENCY_KEY_REUSED -> new Failure(Problem.of(422, "Idempotency key reused", r.getMessage(),
                        ConfigResource.IDEMPOTENCY_KEY));
            };
        }
        return null;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        return cause(e, type) != null;
    }

    private static Throwable cause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
