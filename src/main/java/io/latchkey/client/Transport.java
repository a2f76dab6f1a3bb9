package io.latchkey.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends requests to the cluster's members over one JDK {@link HttpClient} (HTTP/2), failing over
 * between them. A request is sent again, to the next member, only when that is safe: a read;
 * any request that was refused before it was applied (503: no leader ready); and a write whose
 * outcome is unknown (504, a lost connection, a timeout) only when it carries an
 * {@code Idempotency-Key}, so the cluster applies it once whatever the number of tries.
 */
final class Transport {
    /** One request: {@code retryUnknown} says whether it may be sent again when its outcome is unknown. */
    record Call(String method, String pathAndQuery, byte[] body, String contentType, String idempotencyKey,
                boolean retryUnknown, Duration attemptTimeout) {
        static Call read(String pathAndQuery) {
            return new Call("GET", pathAndQuery, null, null, null, true, null);
        }
    }

    /** An answer the caller interprets (2xx, or an error the server decided). */
    record Answer(int status, byte[] body, HttpResponse<?> response) {
    }

    private static final Duration BACKOFF_MIN = Duration.ofMillis(50);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(1);

    private final List<URI> endpoints;
    private final AtomicInteger current = new AtomicInteger();
    private final HttpClient http;
    private final String authorization;
    private final Duration requestTimeout;
    private final Duration retryTimeout;

    Transport(List<URI> endpoints, HttpClient http, String bearerToken, Duration requestTimeout, Duration retryTimeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint is needed");
        }
        this.endpoints = List.copyOf(endpoints);
        this.http = http;
        this.authorization = bearerToken == null ? null : "Bearer " + bearerToken;
        this.requestTimeout = requestTimeout;
        this.retryTimeout = retryTimeout;
    }

    List<URI> endpoints() {
        return endpoints;
    }

    Duration retryTimeout() {
        return retryTimeout;
    }

    /** The member requests go to now. */
    URI endpoint() {
        return endpoints.get(Math.floorMod(current.get(), endpoints.size()));
    }

    /** Moves on from {@code failed} to the next member (unless another thread did already). */
    void failOver(URI failed) {
        int seen = current.get();
        if (endpoints.get(Math.floorMod(seen, endpoints.size())).equals(failed)) {
            current.compareAndSet(seen, seen + 1);
        }
    }

    /** Sends {@code call} until an answer the caller must see, or {@link #retryTimeout} has passed. */
    Answer send(Call call) {
        return send(call, retryTimeout);
    }

    /**
     * Sends {@code call} until an answer the caller must see or {@code deadline} has passed; with a
     * zero {@link #retryTimeout} only once, whatever the deadline.
     */
    Answer send(Call call, Duration deadline) {
        return send(call, deadline, HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Sends {@code call} as {@link #send(Call)} does, with the 200 body written to {@code file}
     * as it arrives (replacing what the file held) and an empty body in the answer; any other
     * status's body comes in memory, as usual, for its problem.
     */
    Answer sendSavingOk(Call call, Path file) {
        HttpResponse.BodyHandler<byte[]> handler = info -> info.statusCode() != 200 ? HttpResponse.BodySubscribers.ofByteArray()
                : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofFile(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), saved -> new byte[0]);
        return send(call, retryTimeout, handler);
    }

    private Answer send(Call call, Duration deadline, HttpResponse.BodyHandler<byte[]> handler) {
        long end = System.nanoTime() + (retryTimeout.isZero() ? 0 : deadline.toNanos());
        Duration backoff = BACKOFF_MIN;
        URI redirect = null;
        LatchkeyException last = null;
        // Whether any attempt reached a member: then the request may have been applied.
        boolean reached = false;
        while (true) {
            URI base = redirect != null ? redirect : endpoint();
            redirect = null;
            try {
                HttpResponse<byte[]> r = http.send(request(base, call), handler);
                reached = true;
                int status = r.statusCode();
                if (status == 307 && r.headers().firstValue("Location").isPresent()) {
                    // Membership changes are the leader's: send the same request there.
                    redirect = origin(URI.create(r.headers().firstValue("Location").get()));
                    continue;
                }
                if (status == 503 || (status == 504 && call.retryUnknown())) {
                    last = Json.problem(status, r.body());
                    failOver(base);
                } else {
                    return new Answer(status, r.body(), r);
                }
            } catch (IOException e) {
                // Refused, reset or timed out: the member may be down; the outcome of a write is unknown
                // unless no attempt ever got through to a member.
                reached |= !(e instanceof ConnectException || e instanceof HttpConnectTimeoutException);
                last = LatchkeyException.noAnswer(base + ": " + e, !reached, e);
                failOver(base);
                if (!call.retryUnknown() && !call.method().equals("GET")) {
                    throw last;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LatchkeyException(0, "Interrupted", "the request was interrupted", null, e);
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw last;
            }
            long jittered = ThreadLocalRandom.current().nextLong(backoff.toNanos() / 2, backoff.toNanos() + 1);
            LockSupport.parkNanos(Math.min(jittered, left));
            if (Thread.currentThread().isInterrupted()) {
                throw new LatchkeyException(0, "Interrupted", "the request was interrupted", null);
            }
            backoff = backoff.multipliedBy(2).compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : backoff.multipliedBy(2);
        }
    }

    /** Opens a streaming GET on {@code base} (one attempt: the watch decides about retries). */
    HttpResponse<InputStream> stream(URI base, String pathAndQuery, String lastEventId)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(at(base, pathAndQuery)).GET()
                .header("Accept", "text/event-stream");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        // The timeout covers the wait for the headers, not the endless body.
        return http.send(b.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private HttpRequest request(URI base, Call call) {
        HttpRequest.Builder b = HttpRequest.newBuilder(at(base, call.pathAndQuery()))
                .timeout(call.attemptTimeout() != null ? call.attemptTimeout() : requestTimeout)
                // JSON for every answer but a backup, the one operation that has no JSON form.
                .header("Accept", "application/json, application/octet-stream;q=0.5")
                .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        if (call.contentType() != null) {
            b.header("Content-Type", call.contentType());
        }
        if (call.idempotencyKey() != null) {
            b.header("Idempotency-Key", call.idempotencyKey());
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    /** Not {@link URI#resolve}: that would normalize a {@code ..} segment of a key away. */
    private static URI at(URI base, String pathAndQuery) {
        return URI.create(base.toString() + pathAndQuery);
    }

    private static URI origin(URI location) {
        return URI.create(location.getScheme() + "://" + location.getRawAuthority() + "/");
    }
}
