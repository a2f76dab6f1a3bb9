package io.latchkey.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Server CPU per request of one node's client API (see BENCHMARKS.md, "JAX-RS CPU per request";
 * scripts/bench-api-cpu.sh starts the node and calls it):
 *
 * <pre>
 * BASE_URL PID SCENARIO REQUESTS THREADS     SCENARIO: get (serializable), put, lock (acquire + release)
 * </pre>
 *
 * {@code THREADS} client threads send {@code REQUESTS} requests in all (a lock cycle counts as
 * one, of two HTTP requests) over kept-alive HTTP/1.1; the node's utime+stime is read from
 * {@code /proc/PID} before and after, so the figure covers exactly these requests. The JIT
 * compiler threads are left out (their work is a warm-up cost that a longer run spreads thinner),
 * and also reported with them. CPU time, not latency: it is the server's cost per request on a
 * machine it shares with the client and with other work. The requests are those every Latchkey
 * version since the SE routes (3761071) answers the same way, so two builds can be compared.
 */
public final class ApiCpuPerRequest {
    private static final String VALUE = "v".repeat(64);
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ApiCpuPerRequest() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: BASE_URL PID get|put|lock REQUESTS THREADS");
            System.exit(2);
        }
        String base = args[0];
        long pid = Long.parseLong(args[1]);
        String scenario = args[2];
        int requests = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        send("PUT", base + "/v1/config/bench/k", VALUE, "text/plain", 200);
        long steady0 = cpuTicks(pid, false);
        long all0 = cpuTicks(pid, true);
        long start = System.nanoTime();
        AtomicInteger left = new AtomicInteger(requests);
        List<Future<?>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int client = t;
                clients.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        request(base, scenario, client);
                    }
                    return null;
                }));
            }
            for (Future<?> c : clients) {
                c.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long steady = cpuTicks(pid, false) - steady0;
        long all = cpuTicks(pid, true) - all0;
        System.out.printf(Locale.ROOT, "%s\t%d requests\t%.0f/s\t%.4f ms CPU/request\t%.4f with JIT%n", scenario, requests,
                requests / seconds, ticksToMillis(steady) / requests, ticksToMillis(all) / requests);
    }

    private static void request(String base, String scenario, int client) throws Exception {
        switch (scenario) {
            case "get" -> send("GET", base + "/v1/config/bench/k?consistency=serializable", null, null, 200);
            case "put" -> send("PUT", base + "/v1/config/bench/p" + client, VALUE, "text/plain", 200);
            case "lock" -> {
                String held = send("POST", base + "/v1/locks/bench/l" + client, "{\"ttlSeconds\":30}", "application/json", 200);
                Matcher token = TOKEN.matcher(held);
                if (!token.find()) {
                    throw new IllegalStateException("no token in " + held);
                }
                send("DELETE", base + "/v1/locks/bench/l" + client + "?token=" + token.group(1), null, null, 204);
            }
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    private static String send(String method, String url, String body, String type, int status) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (type != null) {
            request.header("Content-Type", type);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != status) {
            throw new IllegalStateException(method + " " + url + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** utime+stime of the process in clock ticks, without its C1/C2 compiler threads unless {@code withJit}. */
    private static long cpuTicks(long pid, boolean withJit) throws Exception {
        long ticks = ticks(Path.of("/proc/" + pid + "/stat"));
        if (withJit) {
            return ticks;
        }
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String name = Files.readString(task.resolve("comm")).strip();
                if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                    ticks -= ticks(task.resolve("stat"));
                }
            }
        }
        return ticks;
    }

    /** Fields 14 and 15 of a stat line; the name before them may contain spaces, so counted from its ')'. */
    private static long ticks(Path stat) throws Exception {
        String line = Files.readString(stat);
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Linux's USER_HZ, fixed at 100 for user space ({@code getconf CLK_TCK}). */
    private static double ticksToMillis(long ticks) {
        return ticks * 10.0;
    }
}
