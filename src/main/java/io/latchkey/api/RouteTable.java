package io.latchkey.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The operations of one Helidon SE service of the state API, written as in openapi.yaml:
 * {@code {key}} and {@code {name}} take the rest of the path, slashes included (they are the
 * last segment of their templates); any other parameter takes one segment. A template
 * without parameters also matches with a trailing slash, and HEAD is served by the GET route,
 * as JAX-RS did. The same table routes requests and lists what is served (for the contract
 * test). Templates are tried in the order added.
 */
final class RouteTable<S> {
    /** A route's handler, called with the service that owns the table. */
    interface Handler<S> {
        void handle(S service, ApiExchange exchange) throws Exception;
    }

    record Operation(String method, String template) {
    }

    private record Route<S>(Operation operation, String[] segments, Handler<S> handler, List<String> produces) {
    }

    /** A request matched to a route: its handler, its decoded path parameters and the media types it answers in. */
    record Match<S>(Handler<S> handler, Map<String, String> parameters, List<String> produces) {
    }

    private static final List<String> JSON = List.of("application/json");

    private final List<Route<S>> routes = new ArrayList<>();

    /** A route that answers in JSON. */
    RouteTable<S> add(String method, String template, Handler<S> handler) {
        return add(method, template, handler, JSON);
    }

    RouteTable<S> add(String method, String template, Handler<S> handler, List<String> produces) {
        routes.add(new Route<>(new Operation(method, template), template.substring(1).split("/"), handler, produces));
        return this;
    }

    List<Operation> operations() {
        return routes.stream().map(Route::operation).toList();
    }

    /**
     * The route for this method and raw (still percent-encoded) path; null if no template
     * matches the path.
     *
     * @throws ProblemException 405 if a template matches the path but not for this method
     */
    Match<S> match(String method, String rawPath) {
        String[] parts = rawPath.substring(1).split("/", -1);
        String served = method.equals("HEAD") ? "GET" : method;
        TreeSet<String> allowed = new TreeSet<>();
        for (Route<S> route : routes) {
            Map<String, String> parameters = parameters(route.segments(), parts);
            if (parameters == null) {
                continue;
            }
            if (route.operation().method().equals(served)) {
                return new Match<>(route.handler(), parameters, route.produces());
            }
            allowed.add(route.operation().method());
        }
        if (allowed.isEmpty()) {
            return null;
        }
        throw new MethodNotAllowedException(method, allowed);
    }

    private static Map<String, String> parameters(String[] template, String[] parts) {
        Map<String, String> parameters = Map.of();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            boolean rest = t.equals("{key}") || t.equals("{name}");
            if (i >= parts.length) {
                return null;
            }
            if (rest) {
                String value = String.join("/", Arrays.copyOfRange(parts, i, parts.length));
                return value.isEmpty() ? null : with(parameters, t, value);
            }
            if (t.startsWith("{")) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                parameters = with(parameters, t, parts[i]);
            } else if (!t.equals(parts[i])) {
                return null;
            }
        }
        boolean trailingSlash = parts.length == template.length + 1 && parts[template.length].isEmpty();
        return parts.length == template.length || trailingSlash ? parameters : null;
    }

    private static Map<String, String> with(Map<String, String> parameters, String template, String raw) {
        Map<String, String> more = new HashMap<>(parameters);
        more.put(template.substring(1, template.length() - 1), decode(raw));
        return more;
    }

    /**
     * Percent-decodes a path parameter as UTF-8, as JAX-RS's {@code @PathParam} did; unlike a
     * query, a path keeps {@code +} as it is.
     */
    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length() && Character.digit(raw.charAt(i + 1), 16) >= 0
                    && Character.digit(raw.charAt(i + 2), 16) >= 0) {
                bytes.write(Character.digit(raw.charAt(i + 1), 16) << 4 | Character.digit(raw.charAt(i + 2), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
