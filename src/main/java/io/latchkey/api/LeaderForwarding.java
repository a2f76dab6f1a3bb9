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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Lets any node take any write: a node that is not the leader passes the request on to the
 * leader and relays its answer, because only the leader stamps commands with the lease clock
 * (see {@link LeaderDuties}). Reads are served locally (with a read barrier where asked).
 * The request goes on as it came (raw path, query, body), over kept-alive HTTP/1.1
 * connections with TCP_NODELAY, from the request's own virtual thread.
 */
@ApplicationScoped
public class LeaderForwarding {
    static final HeaderName FORWARDED_BY = HeaderNames.create("Latchkey-Forwarded-By");
    /** The longest a forwarded request may take: a lock acquire may wait 5 minutes. */
    private static final Duration FORWARD_TIMEOUT = Duration.ofMinutes(6);
    /** Idle connections kept to the leader: one per concurrent forwarded request, up to this many. */
    private static final int CONNECTIONS_CACHED_MAX = 256;
    private static final List<HeaderName> PASSED_HEADERS =
            List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ACCEPT, ApiExchange.IDEMPOTENCY_KEY);
    private static final List<HeaderName> RETURNED_HEADERS =
            List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ETAG, HeaderNames.LOCATION, HeaderNames.RETRY_AFTER);

    private final Http1Client http = Http1Client.builder()
            .socketOptions(s -> s.tcpNoDelay(true).connectTimeout(Duration.ofSeconds(2)).readTimeout(FORWARD_TIMEOUT))
            .readTimeout(FORWARD_TIMEOUT)
            .connectionCacheSize(CONNECTIONS_CACHED_MAX)
            .followRedirects(false)
            .sendExpectContinue(false)
            .build();

    /**
     * How long a looked-up leader is used before asking the replica again: the lookup is a
     * task on the replica's loop, which may be waiting for a disk flush. A stale leader is
     * harmless: it no longer takes writes, and a forwarded request is not forwarded again,
     * so the client gets a 503 and retries.
     */
    private static final Duration LEADER_CACHE_TIME = LeaderDuties.DUTY_INTERVAL;

    private final LatchkeyService service;
    private final LeaderDuties duties;
    private volatile KnownLeader known;

    /** The leader as this node saw it at {@code atNanos}; {@code clientUrl} null if none other than this node. */
    private record KnownLeader(long self, String clientUrl, long atNanos) {
    }

    @Inject
    public LeaderForwarding(LatchkeyService service, LeaderDuties duties) {
        this.service = service;
        this.duties = duties;
    }

    /**
     * Answers a write that this node cannot stamp: with the leader's answer, or a 503 when
     * there is no other leader to ask. False when this node leads and takes the write itself.
     */
    boolean forwarded(ApiExchange x) {
        if (duties.ready()) {
            return false;
        }
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        KnownLeader leader = leader(host);
        if (leader.clientUrl() == null || x.header(FORWARDED_BY) != null) {
            // No other leader to pass it to (an election, or this node leads but has not
            // taken over the lease clock yet); a forwarded request is never forwarded again.
            throw new ProblemException(503, "No leader", "no leader is ready to take writes; retry", null);
        }
        forward(x, leader.clientUrl(), leader.self());
        return true;
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

    private void forward(ApiExchange x, String leaderUrl, long self) {
        byte[] body = x.body();
        Http1ClientRequest out = http.method(Method.create(x.method()))
                .uri(URI.create(leaderUrl + x.rawTarget()))
                .skipUriEncoding(true)
                .header(FORWARDED_BY, Long.toHexString(self));
        for (HeaderName name : PASSED_HEADERS) {
            String value = x.header(name);
            if (value != null) {
                out.header(name, value);
            }
        }
        int status;
        byte[] answer;
        try (Http1ClientResponse response = out.submit(body)) {
            status = response.status().code();
            answer = response.inputStream().readAllBytes();
            for (HeaderName name : RETURNED_HEADERS) {
                response.headers().first(name).ifPresent(v -> x.header(name, v));
            }
        } catch (IOException | RuntimeException e) {
            // The leader may or may not have applied it; the client retries with its idempotency key.
            // Helidon's client reports a connection lost mid-answer with runtime exceptions of its
            // own (e.g. DataReader.InsufficientDataAvailableException), so any failure counts.
            throw new ProblemException(504, "Outcome unknown",
                    "forwarding to the leader failed: " + e.getMessage() + "; retry with the same Idempotency-Key", null);
        }
        x.relay(status, answer);
    }
}
