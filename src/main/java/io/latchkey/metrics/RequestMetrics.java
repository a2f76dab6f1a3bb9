package io.latchkey.metrics;

import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Count and latency of every {@code /v1} route, by status class: the timer
 * {@value #METRIC} (Prometheus {@code latchkey_api_requests_seconds_bucket/_count/_sum}) with tags
 * {@code method}, {@code route} (the path template, e.g. {@code /v1/config/{key}}: never the key
 * itself, which would make a series per key) and {@code status} ({@code 2xx} .. {@code 5xx});
 * buckets in microprofile-config.properties.
 *
 * <p>Each resource method gets its own filter when the application starts, holding its route's
 * timers, so a request costs two {@code System.nanoTime()} calls, a request property and one
 * timer update: no reflection, no name building, no registry lookup. A status class's timer is
 * registered by the first answer in that class (so the scrape shows no empty series for classes
 * that never happen), and kept. The time runs from the first filter after matching (before
 * authentication) to the response filters (a long-polled lock acquire counts its wait); writing
 * the body, and a watch stream after its start, are not in it. Requests refused before matching
 * (too many in flight, body too large) and unknown paths are in Helidon's {@code requests_count}.
 */
@Provider
public class RequestMetrics implements DynamicFeature {
    static final String METRIC = "latchkey_api_requests";
    /** Runs before authentication, so that 401 and 403 answers are timed too. */
    static final int PRIORITY = Priorities.AUTHENTICATION - 10;
    private static final String START = RequestMetrics.class.getName() + ".start";
    private static final Metadata METADATA = Metadata.builder().withName(METRIC)
            .withDescription("Requests to a /v1 route answered, and their latency (tags method, route template, status class).")
            .withUnit(MetricUnits.NANOSECONDS).build();

    @Inject
    MetricRegistry registry;

    @Override
    public void configure(ResourceInfo resource, FeatureContext context) {
        String route = route(resource.getResourceClass(), resource.getResourceMethod());
        String method = httpMethod(resource.getResourceMethod());
        if (route.startsWith("/v1/") && method != null) {
            context.register(new RouteTimer(registry, method, route), PRIORITY);
        }
    }

    /** The route's path template, with each parameter's regular expression left out: {@code /v1/config/{key}}. */
    static String route(Class<?> resourceClass, Method method) {
        StringBuilder route = new StringBuilder();
        for (Class<?> c = resourceClass; c != null; c = c.getSuperclass()) {
            Path path = c.getAnnotation(Path.class);
            if (path != null) {
                append(route, path.value());
                break;
            }
        }
        Path methodPath = method.getAnnotation(Path.class);
        if (methodPath != null) {
            append(route, methodPath.value());
        }
        return route.isEmpty() ? "/" : route.toString();
    }

    private static void append(StringBuilder route, String template) {
        for (String segment : template.replaceAll("\\{\\s*(\\w[\\w.-]*)\\s*:[^}]*}", "{$1}").split("/")) {
            if (!segment.isEmpty()) {
                route.append('/').append(segment);
            }
        }
    }

    private static String httpMethod(Method method) {
        for (Annotation a : method.getAnnotations()) {
            HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    /** One route's filter: notes the start, and records the answer in its status class's timer. */
    static final class RouteTimer implements ContainerRequestFilter, ContainerResponseFilter {
        private final MetricRegistry registry;
        private final Tag method;
        private final Tag route;
        /** By status / 100 (1..5); registered on first use. */
        private final AtomicReferenceArray<Timer> byStatusClass = new AtomicReferenceArray<>(6);

        RouteTimer(MetricRegistry registry, String method, String route) {
            this.registry = registry;
            this.method = new Tag("method", method);
            this.route = new Tag("route", route);
        }

        @Override
        public void filter(ContainerRequestContext request) {
            request.setProperty(START, System.nanoTime());
        }

        @Override
        public void filter(ContainerRequestContext request, ContainerResponseContext response) {
            if (request.getProperty(START) instanceof Long start) {
                timer(response.getStatus()).update(Duration.ofNanos(System.nanoTime() - start));
            }
        }

        private Timer timer(int status) {
            int statusClass = Math.clamp(status / 100, 1, 5);
            Timer timer = byStatusClass.get(statusClass);
            if (timer == null) {
                // The registry returns the same timer to racing first answers.
                timer = registry.timer(METADATA, method, route, new Tag("status", statusClass + "xx"));
                byStatusClass.set(statusClass, timer);
            }
            return timer;
        }
    }
}
