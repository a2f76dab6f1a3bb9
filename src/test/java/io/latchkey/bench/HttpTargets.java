package io.latchkey.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the HTTP targets share: one HTTP/1.1 client (one keep-alive connection) per benchmark client. */
final class HttpTargets {
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(3);
    /** How long an operation keeps retrying 503s that say retry (an election) before it fails. */
    static final Duration RETRY_FOR = Duration.ofSeconds(30);
    private static final Duration BACKOFF_MIN = Duration.ofMillis(10);
    private static final Duration BACKOFF_MAX = Duration.ofMillis(500);

    private final ConcurrentHashMap<Integer, HttpClient> clients = new ConcurrentHashMap<>();
    final AtomicLong retries = new AtomicLong();

    HttpClient client(int index) {
        return clients.computeIfAbsent(index, i -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build());
    }

    /**
     * Sends the request and returns the body of a 2xx answer; anything else throws. An answer
     * that says to retry (a {@code Retry-After} header, or "retry" in its body: an election, a
     * leader not taking writes yet; see {@link #retriable}) is retried with exponential back-off, as a real client would, until
     * {@link #RETRY_FOR} has passed; each retry is counted in {@link #retries} (the report counts
     * them as errors).
     */
    String send(int index, HttpRequest request) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        long backoffNanos = BACKOFF_MIN.toNanos();
        while (true) {
            HttpResponse<String> response = client(index).send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status / 100 == 2) {
                return response.body();
            }
            if (retriable(request, response) && System.nanoTime() < deadline) {
                retries.incrementAndGet();
                // Pacing retries against a server that asked for them, not waiting for a condition.
                LockSupport.parkNanos(backoffNanos);
                backoffNanos = Math.min(backoffNanos * 2, BACKOFF_MAX.toNanos());
                continue;
            }
            throw new IOException(request.method() + " " + request.uri().getPath() + " answered " + status + ": "
                    + abbreviate(response.body()));
        }
    }

    /**
     * A 503 that says retry, or a 504 that says retry (outcome unknown: the leader changed) of an
     * idempotent request (PUT, GET, DELETE), which is safe to send again; a POST (lock acquire,
     * lease grant) is not, since the generator sends no idempotency key.
     */
    private static boolean retriable(HttpRequest request, HttpResponse<String> response) {
        int status = response.statusCode();
        boolean saysRetry = response.headers().firstValue("Retry-After").isPresent()
                || response.body().toLowerCase(java.util.Locale.ROOT).contains("retry");
        return saysRetry && (status == 503 || (status == 504 && !request.method().equals("POST")));
    }

    static HttpRequest.Builder request(String base, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(REQUEST_TIMEOUT);
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
        clients.values().forEach(HttpClient::shutdownNow);
        clients.clear();
    }
}
