package io.latchkey.api;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.Membership;
import io.latchkey.server.ReplicaHost;
import io.latchkey.transport.PeerTls;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Lets any node take any write: a node that is not the leader passes a {@link LeaderWrite}
 * request on to the leader and relays its answer, because only the leader stamps commands
 * with the lease clock (see {@link LeaderDuties}). Reads are served locally (with a read
 * barrier where asked). The request goes on as it came (raw path, query, body), over
 * kept-alive HTTP/1.1 connections with TCP_NODELAY (under peer TLS with its settings, see {@link #client}),
 * from the request's own virtual thread.
 * It runs after matching and after authentication and the role check, so a request this
 * node would refuse (401, 403, 404, 405, 406, 415) is refused here; the leader checks the
 * token again (it is passed on) and the key or lock prefix.
 */
@Provider
@LeaderWrite
@Priority(Priorities.USER)
public class LeaderForwarding implements ContainerRequestFilter {
    static final HeaderName FORWARDED_BY = HeaderNames.create("Latchkey-Forwarded-By");
    /** The longest a forwarded request may take: a lock acquire may wait 5 minutes. */
    private static final Duration FORWARD_TIMEOUT = Duration.ofMinutes(6);
    /** Idle connections kept to the leader: one per concurrent forwarded request, up to this many. */
    private static final int CONNECTIONS_CACHED_MAX = 256;
    private static final List<HeaderName> PASSED_HEADERS =
            List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ACCEPT, HeaderNames.AUTHORIZATION, HeaderNames.create(ConfigResource.IDEMPOTENCY_KEY));
    private static final List<HeaderName> RETURNED_HEADERS =
            List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ETAG, HeaderNames.LOCATION, HeaderNames.RETRY_AFTER);
    /**
     * How long a looked-up leader is used before asking the replica again: the lookup is a
     * task on the replica's loop, which may be waiting for a disk flush. A stale leader is
     * harmless: it no longer takes writes, and a forwarded request is not forwarded again,
     * so the client gets a 503 and retries.
     */
    private static final Duration LEADER_CACHE_TIME = LeaderDuties.DUTY_INTERVAL;

    /** Built on the first forward, when the node's peer TLS settings are known. */
    private volatile Http1Client http;
    @Inject
    LatchkeyService service;
    @Inject
    LeaderDuties duties;
    private volatile KnownLeader known;

    /** The leader as this node saw it at {@code atNanos}; {@code clientUrl} null if none other than this node. */
    private record KnownLeader(long self, String clientUrl, long atNanos) {
    }

    /**
     * Answers a write that this node cannot stamp with the leader's answer, or a 503 when
     * there is no other leader to ask; lets it through when this node leads.
     */
    @Override
    public void filter(ContainerRequestContext request) {
        if (duties.ready()) {
            return;
        }
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        KnownLeader leader = leader(host);
        if (leader.clientUrl() == null || request.getHeaderString(FORWARDED_BY.defaultCase()) != null) {
            // No other leader to pass it to (an election, or this node leads but has not
            // taken over the lease clock yet); a forwarded request is never forwarded again.
            throw new ProblemException(503, "No leader", "no leader is ready to take writes; retry", null);
        }
        request.abortWith(forward(client(host), request, leader.clientUrl(), leader.self()));
    }

    /**
     * Kept-alive HTTP/1.1 connections to the leader. When members use mutual TLS, a forwarded
     * request goes with this member's certificate and trusts the cluster CA only (an https
     * client URL must then have a certificate from that CA), and the leader's certificate must
     * name the host of its client URL before any header, the caller's token included, is sent.
     */
    private Http1Client client(ReplicaHost host) {
        Http1Client client = http;
        if (client == null) {
            synchronized (this) {
                client = http;
                if (client == null) {
                    var builder = Http1Client.builder()
                            .socketOptions(s -> s.tcpNoDelay(true).connectTimeout(Duration.ofSeconds(2)).readTimeout(FORWARD_TIMEOUT))
                            .readTimeout(FORWARD_TIMEOUT)
                            .connectionCacheSize(CONNECTIONS_CACHED_MAX)
                            .followRedirects(false)
                            .sendExpectContinue(false);
                    host.peerTls().ifPresent(files -> builder.tls(PeerTls.client(files)));
                    client = builder.build();
                    http = client;
                }
            }
        }
        return client;
    }

    private KnownLeader leader(ReplicaHost host) {
        KnownLeader k = known;
        if (k != null && System.nanoTime() - k.atNanos() < LEADER_CACHE_TIME.toNanos()) {
            return k;
        }
        Membership.ClusterView view = new Membership(host.loop()).view();
        String leaderUrl = view.members().stream().filter(m -> m.id() == view.leaderId() && m.id() != view.nodeId())
                .map(Membership.MemberView::clientUrl).filter(url -> !url.isEmpty()).findFirst().orElse(null);
        k = new KnownLeader(view.nodeId(), leaderUrl, System.nanoTime());
        known = k;
        return k;
    }

    private Response forward(Http1Client http, ContainerRequestContext request, String leaderUrl, long self) {
        URI uri = request.getUriInfo().getRequestUri();
        String target = leaderUrl + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Http1ClientRequest out = http.method(Method.create(request.getMethod()))
                .uri(URI.create(target))
                .skipUriEncoding(true)
                .header(FORWARDED_BY, Long.toHexString(self));
        for (HeaderName name : PASSED_HEADERS) {
            String value = request.getHeaderString(name.defaultCase());
            if (value != null) {
                out.header(name, value);
            }
        }
        try {
            byte[] body = request.hasEntity() ? request.getEntityStream().readAllBytes() : new byte[0];
            try (Http1ClientResponse answer = out.submit(body)) {
                byte[] entity = answer.inputStream().readAllBytes();
                Response.ResponseBuilder relayed = Response.status(answer.status().code());
                if (entity.length > 0) {
                    relayed.entity(entity);
                }
                for (HeaderName name : RETURNED_HEADERS) {
                    answer.headers().first(name).ifPresent(v -> relayed.header(name.defaultCase(), v));
                }
                return relayed.build();
            }
        } catch (IOException | RuntimeException e) {
            // The leader may or may not have applied it; the client retries with its idempotency key.
            // Helidon's client reports a connection lost mid-answer with runtime exceptions of its
            // own (e.g. DataReader.InsufficientDataAvailableException), so any failure counts.
            throw new ProblemException(504, "Outcome unknown",
                    "forwarding to the leader failed: " + e.getMessage() + "; retry with the same Idempotency-Key", null);
        }
    }
}
