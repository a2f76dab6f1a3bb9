package io.latchkey.bench;

import java.util.Arrays;

/** The workloads of the service benchmark, by the name used on the command line and in results. */
enum Scenario {
    PUT("put", "config put, 64 B values, 1024 keys"),
    GET_LINEARIZABLE("get-linearizable", "get, linearizable"),
    GET_LEASE("get-lease", "get, leader lease"),
    GET_SERIALIZABLE("get-serializable", "get, serializable (local)"),
    LOCK_UNCONTENDED("lock-uncontended", "lock acquire+release, one lock per client"),
    LOCK_CONTENDED("lock-contended", "lock acquire+release, all clients one lock (ops = hand-offs)");

    /** Keys the put and get scenarios spread over. */
    static final int KEYS = 1024;
    static final int VALUE_BYTES = 64;

    final String label;
    final String description;

    Scenario(String label, String description) {
        this.label = label;
        this.description = description;
    }

    static Scenario of(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown scenario " + label));
    }

    static String key(int n) {
        return String.format("bench/key-%04d", n);
    }

    static byte[] value(int client, long seq) {
        byte[] v = new byte[VALUE_BYTES];
        String s = "client-" + client + "-seq-" + seq + "-";
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) (i < s.length() ? s.charAt(i) : 'x');
        }
        return v;
    }
}
