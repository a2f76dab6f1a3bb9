package io.latchkey.bench;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the HTTP targets (etcd's gateway and Latchkey) share: the raw path the generator measures
 * servers through. One blocking HTTP/1.1 client with a kept-alive connection per benchmark
 * client (Helidon's, called on the client's own thread): every system's client shares the
 * generator's 2-core machine with its servers, and the JDK's asynchronous HttpClient spent
 * several times the CPU per request (a selector thread and two hand-offs per call), which
 * the HTTP systems' servers paid for and ZooKeeper's did not (see BENCHMARKS.md).
 */
final class HttpTargets {
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(3);
    /** How long an operation keeps retrying 503s that say retry (an election) before it fails. */
    static final Duration RETRY_FOR = Duration.ofSeconds(30);
    private static final Duration BACKOFF_MIN = Duration.ofMillis(10);
    private static final Duration BACKOFF_MAX = Duration.ofMillis(500);

    private final ConcurrentHashMap<Integer, Http1Client> clients = new ConcurrentHashMap<>();
    final AtomicLong retries = new AtomicLong();

    private Http1Client client(int index) {
        return clients.computeIfAbsent(index, i -> Http1Client.builder()
                .socketOptions(s -> s.tcpNoDelay(true).connectTimeout(Duration.ofSeconds(5)).readTimeout(REQUEST_TIMEOUT))
                .readTimeout(REQUEST_TIMEOUT)
                .shareConnectionCache(false)
                .connectionCacheSize(1)
                .followRedirects(false)
                .sendExpectContinue(false)
                .build());
    }

    /**
     * Sends a request ({@code body} null for none) and returns the body of a 2xx answer;
     * anything else throws. An answer that says to retry (a {@code Retry-After} header, or
     * "retry" in its body: an election, a leader not taking writes yet; see {@link #retriable})
     * is retried with exponential back-off, as a real client would, until {@link #RETRY_FOR}
     * has passed; each retry is counted in {@link #retries} (the report counts them as errors).
     */
    String send(int index, Method method, String url, String contentType, byte[] body) throws IOException {
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        long backoffNanos = BACKOFF_MIN.toNanos();
        while (true) {
            // From a URI: given as a string, the query did not reach the server.
            Http1ClientRequest request = client(index).method(method).uri(URI.create(url));
            if (contentType != null) {
                request.header(HeaderNames.CONTENT_TYPE, contentType);
            }
            int status;
            String answer;
            boolean retryAfter;
            try (Http1ClientResponse response = body == null ? request.request() : request.submit(body)) {
                status = response.status().code();
                answer = new String(response.inputStream().readAllBytes(), StandardCharsets.UTF_8);
                retryAfter = response.headers().contains(HeaderNames.RETRY_AFTER);
            } catch (RuntimeException e) {
                throw new IOException(method + " " + url + " failed: " + e, e);
            }
            if (status / 100 == 2) {
                return answer;
            }
            if (retriable(method, status, retryAfter, answer) && System.nanoTime() < deadline) {
                retries.incrementAndGet();
                // Pacing retries against a server that asked for them, not waiting for a condition.
                LockSupport.parkNanos(backoffNanos);
                backoffNanos = Math.min(backoffNanos * 2, BACKOFF_MAX.toNanos());
                continue;
            }
            throw new IOException(method + " " + url + " answered " + status + ": " + abbreviate(answer));
        }
    }

    String send(int index, Method method, String url) throws IOException {
        return send(index, method, url, null, null);
    }

    /**
     * A 503 that says retry, or a 504 that says retry (outcome unknown: the leader changed) of an
     * idempotent request (PUT, GET, DELETE), which is safe to send again; a POST (lock acquire,
     * lease grant) is not, since the generator sends no idempotency key.
     */
    private static boolean retriable(Method method, int status, boolean retryAfter, String answer) {
        boolean saysRetry = retryAfter || answer.toLowerCase(Locale.ROOT).contains("retry");
        return saysRetry && (status == 503 || (status == 504 && !method.equals(Method.POST)));
    }

    static String field(String json, Pattern pattern) throws IOException {
        Matcher m = pattern.matcher(json);
        if (!m.find()) {
            throw new IOException("no " + pattern + " in " + abbreviate(json));
        }
        return m.group(1);
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    void close() {
        clients.values().forEach(Http1Client::closeResource);
        clients.clear();
    }
}
