package io.latchkey.api;

import io.latchkey.server.LatchkeyService;
import io.latchkey.server.Membership;
import io.latchkey.server.ReplicaHost;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Lets any node take any write: a node that is not the leader passes the request on to the
 * leader and relays its answer, because only the leader stamps commands with the lease clock
 * (see {@link LeaderDuties}). Reads are served locally (with a read barrier where asked).
 */
@Provider
@Priority(Priorities.USER)
public class LeaderForwarding implements ContainerRequestFilter {
    static final String FORWARDED_BY = "Latchkey-Forwarded-By";
    /** The longest a forwarded request may take: a lock acquire may wait 5 minutes. */
    private static final Duration FORWARD_TIMEOUT = Duration.ofMinutes(6);
    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE");
    private static final List<String> PASSED_HEADERS = List.of("Content-Type", "Accept", "Idempotency-Key");
    private static final List<String> RETURNED_HEADERS = List.of("Content-Type", "ETag", "Location", "Retry-After");

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    @Inject
    LatchkeyService service;
    @Inject
    LeaderDuties duties;

    @Override
    public void filter(ContainerRequestContext request) throws IOException {
        String path = request.getUriInfo().getPath().replaceFirst("^/", "");
        if (!WRITES.contains(request.getMethod()) || !isStatePath(path) || duties.ready()) {
            return;
        }
        ReplicaHost host = service.host();
        if (host == null) {
            request.abortWith(Response.fromResponse(Problem.response(503, "Node not started", service.startFailure(), null))
                    .header("Retry-After", "1").build());
            return;
        }
        Membership.ClusterView view = new Membership(host.loop()).view();
        String leaderUrl = view.members().stream().filter(m -> m.id() == view.leaderId() && m.id() != view.nodeId())
                .map(Membership.MemberView::clientUrl).filter(url -> !url.isEmpty()).findFirst().orElse(null);
        if (leaderUrl == null || request.getHeaderString(FORWARDED_BY) != null) {
            // No other leader to pass it to (an election, or this node leads but has not
            // taken over the lease clock yet); a forwarded request is never forwarded again.
            request.abortWith(Response.fromResponse(Problem.response(503, "No leader",
                    "no leader is ready to take writes; retry", null)).header("Retry-After", "1").build());
            return;
        }
        request.abortWith(forward(request, leaderUrl, view.nodeId()));
    }

    private static boolean isStatePath(String path) {
        return path.startsWith("v1/config") || path.startsWith("v1/locks") || path.startsWith("v1/leases");
    }

    private Response forward(ContainerRequestContext request, String leaderUrl, long self) throws IOException {
        String query = request.getUriInfo().getRequestUri().getRawQuery();
        URI target = URI.create(leaderUrl + request.getUriInfo().getRequestUri().getRawPath()
                + (query == null ? "" : "?" + query));
        byte[] body = request.hasEntity() ? request.getEntityStream().readAllBytes() : new byte[0];
        HttpRequest.Builder out = HttpRequest.newBuilder(target)
                .timeout(FORWARD_TIMEOUT)
                .header(FORWARDED_BY, Long.toHexString(self))
                .method(request.getMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : PASSED_HEADERS) {
            String value = request.getHeaderString(name);
            if (value != null) {
                out.header(name, value);
            }
        }
        try {
            HttpResponse<byte[]> answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
            Response.ResponseBuilder relayed = Response.status(answer.statusCode()).entity(answer.body());
            for (String name : RETURNED_HEADERS) {
                answer.headers().firstValue(name).ifPresent(v -> relayed.header(name, v));
            }
            return relayed.build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while forwarding to the leader", e);
        } catch (IOException e) {
            // The leader may or may not have applied it; the client retries with its idempotency key.
            return Response.fromResponse(Problem.response(504, "Outcome unknown",
                    "forwarding to the leader failed: " + e.getMessage() + "; retry with the same Idempotency-Key", null))
                    .header("Retry-After", "1").build();
        }
    }
}
