package io.latchkey.bench;

import io.helidon.http.Method;
import io.latchkey.client.ClusterInfo;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.WriteOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Latchkey over its REST API. In {@code spread} mode client i talks to node i mod n (followers
 * forward writes to the leader and serve reads after their own barrier); in {@code leader}
 * mode every client talks to the leader.
 *
 * <p>The measured operations go through a raw HTTP/1.1 path ({@link HttpTargets}), the same way
 * as etcd's and comparable with it: the figures are the server's, not the Java client's (its
 * JSON-B, idempotency keys and failover). The set-up outside the measurement (finding the leader,
 * writing the keys the reads read) uses the Java client.
 */
final class LatchkeyTarget implements Target {
    private static final Pattern TOKEN = Pattern.compile("\"token\":(\\d+)");
    /** Long enough for the last of 64 waiters. */
    private static final long WAIT_MILLIS = 120_000;
    private static final long TTL_SECONDS = 10;

    private final List<String> endpoints;
    private final String mode;
    private final HttpTargets http = new HttpTargets();
    /** For the set-up only. */
    private final LatchkeyClient setup;
    private boolean keysWritten;

    LatchkeyTarget(List<String> endpoints, String mode) throws Exception {
        if (!mode.equals("spread") && !mode.equals("leader")) {
            throw new IllegalArgumentException("mode must be spread or leader");
        }
        this.mode = mode;
        this.endpoints = mode.equals("leader") ? List.of(leader(endpoints)) : List.copyOf(endpoints);
        this.setup = client(this.endpoints.getFirst());
    }

    @Override
    public String placement() {
        try {
            return "leader " + leader(endpoints) + ", client 0 on " + endpoints.getFirst();
        } catch (IOException e) {
            return "leader unknown (" + e.getMessage() + "), client 0 on " + endpoints.getFirst();
        }
    }

    private static LatchkeyClient client(String base) {
        return LatchkeyClient.builder().endpoints(base).retryTimeout(HttpTargets.RETRY_FOR).build();
    }

    private static String leader(List<String> all) throws IOException {
        for (String base : all) {
            try (LatchkeyClient node = client(base)) {
                ClusterInfo view = node.cluster();
                if (view.nodeId().equals(view.leaderId())) {
                    return base;
                }
            }
        }
        throw new IOException("no node of " + all + " says it leads");
    }

    @Override
    public String name() {
        return "latchkey";
    }

    @Override
    public String routing() {
        return mode.equals("leader") ? "every client on the leader " + endpoints.get(0)
                : "client i on node i mod " + endpoints.size() + " (followers forward writes to the leader)";
    }

    @Override
    public boolean supports(Scenario scenario) {
        return true;
    }

    @Override
    public void prepare(Scenario scenario) throws Exception {
        if (scenario.label.startsWith("get") && !keysWritten) {
            for (int k = 0; k < Scenario.KEYS; k++) {
                setup.put(Scenario.key(k), Scenario.value(0, k), WriteOptions.none());
            }
            keysWritten = true;
        }
    }

    private void put(int index, String base, String key, byte[] value) throws Exception {
        http.send(index, Method.PUT, base + "/v1/config/" + key, "application/octet-stream", value);
    }

    @Override
    public LoadHarness.Client client(Scenario scenario, int index) {
        String base = endpoints.get(index % endpoints.size());
        return switch (scenario) {
            case PUT -> new LoadHarness.Client() {
                long seq;

                @Override
                public void op() throws Exception {
                    put(index, base, Scenario.key(ThreadLocalRandom.current().nextInt(Scenario.KEYS)), Scenario.value(index, seq++));
                }
            };
            case GET_LINEARIZABLE, GET_LEASE, GET_SERIALIZABLE -> {
                String consistency = scenario.label.substring("get-".length());
                yield () -> http.send(index, Method.GET, base + "/v1/config/"
                        + Scenario.key(ThreadLocalRandom.current().nextInt(Scenario.KEYS)) + "?consistency=" + consistency);
            }
            case LOCK_UNCONTENDED -> lockCycle(index, base, "bench/lock-u-" + index);
            case LOCK_CONTENDED -> lockCycle(index, base, "bench/lock-contended");
        };
    }

    private LoadHarness.Client lockCycle(int index, String base, String lock) {
        byte[] body = ("{\"ttlSeconds\":" + TTL_SECONDS + ",\"waitMillis\":" + WAIT_MILLIS + ",\"owner\":\"bench-" + index + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return () -> {
            String held = http.send(index, Method.POST, base + "/v1/locks/" + lock, "application/json", body);
            String token = HttpTargets.field(held, TOKEN);
            http.send(index, Method.DELETE, base + "/v1/locks/" + lock + "?token=" + token);
        };
    }

    @Override
    public long retries() {
        return http.retries.get();
    }

    @Override
    public void close() {
        if (http.retries.get() > 0) {
            System.out.println("latchkey: " + http.retries.get() + " requests retried after 503");
        }
        http.close();
        setup.close();
    }
}
