package io.latchkey.api;

import io.helidon.microprofile.server.RoutingPath;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The hot paths of the API, {@code /v1/config}, {@code /v1/locks} and {@code /v1/leases}, as
 * Helidon SE routes: JAX-RS with its CDI interceptors and JSON-B cost several times the CPU
 * per request (see BENCHMARKS.md, "Service"). Helidon MP registers SE services before the
 * JAX-RS application, so these routes see a request first; whatever they do not serve (the
 * event stream {@code GET /v1/config/watch}, {@code /v1/cluster}, health, metrics) goes on to
 * the next route.
 *
 * <p>Mounted at the root and matched on the raw path: a route under {@code /v1/config} would
 * not see {@code /v1/config/..}, which Helidon's routing normalizes to {@code /v1} but which
 * names the (invalid) key {@code ..}. The resources' handlers are package-private, never
 * private: the resources arrive here as CDI client proxies, which pass on only non-private
 * methods (a private one would run on the empty proxy).
 */
@ApplicationScoped
@RoutingPath("/")
public class StateRoutes implements HttpService {
    private static final String WATCH_PATH = "/v1/config/watch";

    private final ConfigResource config;
    private final LockResource locks;
    private final LeaseResource leases;

    @Inject
    public StateRoutes(ConfigResource config, LockResource locks, LeaseResource leases) {
        this.config = config;
        this.locks = locks;
        this.leases = leases;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::route);
    }

    private void route(ServerRequest req, ServerResponse res) {
        String path = req.prologue().uriPath().rawPathNoParams();
        if (within(path, "/v1/config") && !isWatchStream(req, path)) {
            ApiExchange.dispatch(ConfigResource.ROUTES, config, req, res);
        } else if (within(path, "/v1/locks")) {
            ApiExchange.dispatch(LockResource.ROUTES, locks, req, res);
        } else if (within(path, "/v1/leases")) {
            ApiExchange.dispatch(LeaseResource.ROUTES, leases, req, res);
        } else {
            res.next();
        }
    }

    private static boolean within(String path, String base) {
        return path.startsWith(base) && (path.length() == base.length() || path.charAt(base.length()) == '/');
    }

    private static boolean isWatchStream(ServerRequest req, String path) {
        String method = req.prologue().method().text();
        return path.equals(WATCH_PATH) && (method.equals("GET") || method.equals("HEAD"));
    }
}
