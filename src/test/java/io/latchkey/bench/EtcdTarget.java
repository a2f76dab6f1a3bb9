package io.latchkey.bench;

import io.helidon.http.Method;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * etcd through its v3 HTTP/JSON gateway (the same kind of client as Latchkey's: JSON over
 * HTTP/1.1, one keep-alive connection per client), client i on member i mod n. Put =
 * /v3/kv/put; linearizable get = /v3/kv/range (etcd's default, a ReadIndex round);
 * serializable get = range with serializable=true; locks = /v3/lock/lock and /v3/lock/unlock
 * under one lease per client (what etcd's concurrency.Session does).
 */
final class EtcdTarget implements Target {
    private static final Pattern ID = Pattern.compile("\"ID\":\"?(\\d+)");
    private static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");
    private static final int LEASE_TTL_SECONDS = 300;

    private final List<String> endpoints;
    private final HttpTargets http = new HttpTargets();
    private final ConcurrentHashMap<Integer, String> leases = new ConcurrentHashMap<>();
    private boolean keysWritten;

    EtcdTarget(List<String> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public String routing() {
        return "v3 HTTP/JSON gateway, client i on member i mod " + endpoints.size() + " (members forward proposals to the leader)";
    }

    @Override
    public boolean supports(Scenario scenario) {
        return scenario != Scenario.GET_LEASE;
    }

    @Override
    public void prepare(Scenario scenario) throws Exception {
        if (scenario.label.startsWith("get") && !keysWritten) {
            for (int k = 0; k < Scenario.KEYS; k++) {
                post(0, endpoints.get(0), "/v3/kv/put", "{\"key\":\"" + b64(Scenario.key(k)) + "\",\"value\":\""
                        + b64(Scenario.value(0, k)) + "\"}");
            }
            keysWritten = true;
        }
    }

    private String post(int index, String base, String path, String json) throws Exception {
        return http.send(index, Method.POST, base + path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private String lease(int index, String base) throws Exception {
        String lease = leases.get(index);
        if (lease == null) {
            lease = HttpTargets.field(post(index, base, "/v3/lease/grant", "{\"TTL\":" + LEASE_TTL_SECONDS + "}"), ID);
            leases.put(index, lease);
        }
        return lease;
    }

    @Override
    public LoadHarness.Client client(Scenario scenario, int index) throws Exception {
        String base = endpoints.get(index % endpoints.size());
        return switch (scenario) {
            case PUT -> new LoadHarness.Client() {
                long seq;

                @Override
                public void op() throws Exception {
                    post(index, base, "/v3/kv/put", "{\"key\":\"" + b64(Scenario.key(ThreadLocalRandom.current().nextInt(Scenario.KEYS)))
                            + "\",\"value\":\"" + b64(Scenario.value(index, seq++)) + "\"}");
                }
            };
            case GET_LINEARIZABLE, GET_SERIALIZABLE -> {
                String serializable = scenario == Scenario.GET_SERIALIZABLE ? ",\"serializable\":true" : "";
                yield () -> post(index, base, "/v3/kv/range", "{\"key\":\""
                        + b64(Scenario.key(ThreadLocalRandom.current().nextInt(Scenario.KEYS))) + "\"" + serializable + "}");
            }
            case GET_LEASE -> throw new IllegalArgumentException("etcd has no lease-based read");
            case LOCK_UNCONTENDED -> lockCycle(index, base, "bench/lock-u-" + index);
            case LOCK_CONTENDED -> lockCycle(index, base, "bench/lock-contended");
        };
    }

    private LoadHarness.Client lockCycle(int index, String base, String name) throws Exception {
        String lock = "{\"name\":\"" + b64(name) + "\",\"lease\":\"" + lease(index, base) + "\"}";
        return () -> {
            String key = HttpTargets.field(post(index, base, "/v3/lock/lock", lock), KEY);
            post(index, base, "/v3/lock/unlock", "{\"key\":\"" + key + "\"}");
        };
    }

    @Override
    public long retries() {
        return http.retries.get();
    }

    @Override
    public void close() {
        if (http.retries.get() > 0) {
            System.out.println("etcd: " + http.retries.get() + " requests retried after 503");
        }
        http.close();
    }
}
