package io.latchkey.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/** URL encoding of keys and names: {@code /} stays a path separator, everything else is escaped. */
final class Paths {
    private Paths() {
    }

    /** A key or lock name as a path: each segment percent-encoded, the slashes kept. */
    static String path(String name) {
        return Arrays.stream(name.split("/", -1)).map(Paths::query).collect(Collectors.joining("/"));
    }

    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
