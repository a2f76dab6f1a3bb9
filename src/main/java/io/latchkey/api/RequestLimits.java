package io.latchkey.api;

import io.latchkey.state.Limits;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.Config;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Semaphore;

/**
 * Bounds what one node takes from clients, before anything else looks at a request:
 *
 * <ol>
 *   <li>requests in flight ({@code latchkey.api.requests-in-flight-max}): one more is answered
 *       503 with {@code Retry-After} at once, so a burst queues at the clients, not in this
 *       node's heap. A watch stream counts until its answer starts.</li>
 *   <li>the request body ({@code latchkey.api.request-body-bytes-max}): a declared
 *       {@code Content-Length} beyond it is answered 413 without reading the body; a chunked
 *       body is counted while it is read and refused the moment it passes the limit, so no
 *       body, however long or endless, is ever buffered beyond it. The answer closes the
 *       connection: the rest of the body is not read (Helidon drains an unread body otherwise).</li>
 * </ol>
 *
 * Health, metrics and OpenAPI are Helidon features outside JAX-RS: a probe is answered even
 * when the node is saturated. Helidon's {@code server.max-tcp-connections} bounds connections:
 * one more waits in the listen backlog (not refused) until a connection closes.
 */
@Provider
@PreMatching
@Priority(Priorities.AUTHENTICATION - 100)
@ApplicationScoped
public class RequestLimits implements ContainerRequestFilter, ContainerResponseFilter {
    static final String BODY_KEY = "latchkey.api.request-body-bytes-max";
    static final String IN_FLIGHT_KEY = "latchkey.api.requests-in-flight-max";
    static final long BODY_BYTES_MAX_DEFAULT = 2L * Limits.VALUE_SIZE_BYTES_MAX;
    static final int IN_FLIGHT_MAX_DEFAULT = 4096;
    /** Request properties: a permit to give back, and a body refused as too large. */
    private static final String PERMIT = RequestLimits.class.getName() + ".permit";
    private static final String TOO_LARGE = RequestLimits.class.getName() + ".tooLarge";

    private final long bodyBytesMax;
    private final int inFlightMax;
    private final Semaphore inFlight;

    @Inject
    public RequestLimits(Config config) {
        this.bodyBytesMax = config.getOptionalValue(BODY_KEY, Long.class).orElse(BODY_BYTES_MAX_DEFAULT);
        this.inFlightMax = config.getOptionalValue(IN_FLIGHT_KEY, Integer.class).orElse(IN_FLIGHT_MAX_DEFAULT);
        // Checked at start, with the key named: a body limit below the largest value would refuse valid puts.
        if (bodyBytesMax < Limits.VALUE_SIZE_BYTES_MAX) {
            throw new IllegalArgumentException(BODY_KEY + " must be at least " + Limits.VALUE_SIZE_BYTES_MAX
                    + " (the largest value), got " + bodyBytesMax);
        }
        if (inFlightMax < 1) {
            throw new IllegalArgumentException(IN_FLIGHT_KEY + " must be positive, got " + inFlightMax);
        }
        this.inFlight = new Semaphore(inFlightMax);
    }

    /** Created with the container, so that a bad setting stops the node at start. */
    void onStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        // Nothing to do: observing the event is what makes the container create this bean now.
    }

    /** Thrown while a body is read, past the limit; mapped to 413 by {@link ProblemMapper}. */
    static final class BodyTooLargeException extends ProblemException {
        BodyTooLargeException(long bodyBytesMax) {
            super(413, "Request body too large", "the request body is larger than " + bodyBytesMax
                    + " bytes (" + BODY_KEY + ")", "body");
        }
    }

    @Override
    public void filter(ContainerRequestContext request) {
        // Helidon offers every request to JAX-RS first; health, metrics and OpenAPI are answered
        // by its other routes after a 404 here, and JAX-RS response filters do not see them.
        if (!request.getUriInfo().getPath().startsWith("v1/") && !request.getUriInfo().getPath().startsWith("/v1/")) {
            return;
        }
        if (!inFlight.tryAcquire()) {
            request.abortWith(Response.fromResponse(Problem.response(503, "Too many requests in flight",
                    "this node has " + inFlightMax + " requests in flight (" + IN_FLIGHT_KEY + "); retry, or use another node",
                    null)).header("Retry-After", "1").build());
            return;
        }
        request.setProperty(PERMIT, Boolean.TRUE);
        if (declaredLength(request) > bodyBytesMax) {
            request.setProperty(TOO_LARGE, Boolean.TRUE);
            request.abortWith(new ProblemMapper.Failure(problemOf(new BodyTooLargeException(bodyBytesMax))).response());
            return;
        }
        if (request.hasEntity()) {
            request.setEntityStream(new BoundedInputStream(request.getEntityStream(), request));
        }
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getProperty(PERMIT) != null) {
            request.removeProperty(PERMIT);
            inFlight.release();
        }
        if (request.getProperty(TOO_LARGE) != null) {
            response.getHeaders().putSingle("Connection", "close");
        }
    }

    /** The Content-Length header, or -1 (Helidon's JAX-RS request does not fill in getLength()). */
    private static long declaredLength(ContainerRequestContext request) {
        String length = request.getHeaderString("Content-Length");
        try {
            return length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            // Not a length; Helidon refuses the request before it gets here.
            return -1;
        }
    }

    private static Problem problemOf(ProblemException e) {
        return Problem.of(e.status(), e.title(), e.getMessage(), e.field());
    }

    /** Counts the bytes read and fails the read that passes the limit. */
    private final class BoundedInputStream extends FilterInputStream {
        private final ContainerRequestContext request;
        private long readBytes;

        BoundedInputStream(InputStream in, ContainerRequestContext request) {
            super(in);
            this.request = request;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            readBytes += n;
            if (readBytes > bodyBytesMax) {
                request.setProperty(TOO_LARGE, Boolean.TRUE);
                throw new BodyTooLargeException(bodyBytesMax);
            }
        }
    }
}
