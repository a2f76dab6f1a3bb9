package io.latchkey.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What a client sees of a rolling restart (scripts/bench-rolling-restart.sh): one client writes
 * in a loop, each write to the node that took the last one, moving on to the next node when a
 * node does not answer 200 (refused connection, 503 without a leader, 504). It runs until the
 * stop file exists and prints one line: writes, failed attempts, the longest time without a
 * successful write, and the sum of the gaps between successive successes longer than the
 * threshold (the unavailability the restarts caused; a write normally takes a few ms).
 *
 * <pre>RollingRestartProbe ENDPOINTS(comma-separated) STOP_FILE [GAP_THRESHOLD_MILLIS=200]</pre>
 *
 * <p>Raw HTTP, not the Java client: the probe counts and times every attempt itself.
 */
public final class RollingRestartProbe {
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
    private static final long FAILOVER_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private RollingRestartProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<String> endpoints = List.of(args[0].split(","));
        Path stopFile = Path.of(args[1]);
        long thresholdNanos = TimeUnit.MILLISECONDS.toNanos(args.length > 2 ? Long.parseLong(args[2]) : 200);
        HttpClient http = HttpClient.newBuilder().connectTimeout(ATTEMPT_TIMEOUT).build();

        long writes = 0;
        long failed = 0;
        long longestGap = 0;
        long gapsTotal = 0;
        List<Long> gaps = new ArrayList<>();
        int node = 0;
        long lastSuccess = System.nanoTime();
        while (!Files.exists(stopFile)) {
            if (write(http, endpoints.get(node), writes)) {
                long now = System.nanoTime();
                long gap = now - lastSuccess;
                lastSuccess = now;
                writes++;
                longestGap = Math.max(longestGap, gap);
                if (gap > thresholdNanos) {
                    gapsTotal += gap;
                    gaps.add(TimeUnit.NANOSECONDS.toMillis(gap));
                }
            } else {
                failed++;
                node = (node + 1) % endpoints.size();
                LockSupport.parkNanos(FAILOVER_PAUSE_NANOS);
            }
        }
        System.out.printf("writes=%d failed_attempts=%d longest_gap_ms=%d unavailable_ms=%d gaps_ms=%s%n", writes, failed,
                TimeUnit.NANOSECONDS.toMillis(longestGap), TimeUnit.NANOSECONDS.toMillis(gapsTotal), gaps);
    }

    private static boolean write(HttpClient http, String endpoint, long n) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + "/v1/config/rolling/probe"))
                    .timeout(ATTEMPT_TIMEOUT).header("Content-Type", "text/plain")
                    .PUT(HttpRequest.BodyPublishers.ofString(Long.toString(n))).build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
