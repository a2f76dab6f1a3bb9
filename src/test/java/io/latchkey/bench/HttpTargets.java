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
    /** How long an operation keeps retrying 503s (an election) before it counts as an error. */
    static final Duration RETRY_FOR = Duration.ofSeconds(5);

    private final ConcurrentHashMap<Integer, HttpClient> clients = new ConcurrentHashMap<>();
    final AtomicLong retries = new AtomicLong();

    HttpClient client(int index) {
        return clients.computeIfAbsent(index, i -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build());
    }

    /**
     * Sends the request, retrying 503 answers until {@link #RETRY_FOR} has passed, and returns
     * the body of a 2xx answer; anything else throws.
     */
    String send(int index, HttpRequest request) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        while (true) {
            HttpResponse<String> response = client(index).send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status / 100 == 2) {
                return response.body();
            }
            if (status == 503 && System.nanoTime() < deadline) {
                retries.incrementAndGet();
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                continue;
            }
            throw new IOException(request.method() + " " + request.uri().getPath() + " answered " + status + ": "
                    + abbreviate(response.body()));
        }
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
