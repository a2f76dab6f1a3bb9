package io.latchkey.metrics;

import io.latchkey.api.ClusterResource;
import io.latchkey.api.ConfigResource;
import io.latchkey.api.LeaseResource;
import io.latchkey.api.LockResource;
import io.latchkey.api.MaintenanceResource;
import io.latchkey.api.WatchResource;
import jakarta.ws.rs.HttpMethod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code route} label of every resource method is its path template as the OpenAPI document names it. */
class RequestMetricsRouteTest {
    private static final List<Class<?>> RESOURCES = List.of(ConfigResource.class, WatchResource.class, LockResource.class,
            LeaseResource.class, ClusterResource.class, MaintenanceResource.class);

    @Test
    void everyResourceMethodsRouteIsAPathOfTheOpenApiDocument_withoutParameterPatterns() throws IOException {
        Set<String> documented = Files.readAllLines(Path.of("openapi/openapi.yaml")).stream()
                .filter(l -> l.startsWith("  /v1/") && l.endsWith(":"))
                .map(l -> l.strip().substring(0, l.strip().length() - 1))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> routes = new TreeSet<>();
        for (Class<?> resource : RESOURCES) {
            for (Method method : resource.getMethods()) {
                if (Arrays.stream(method.getAnnotations()).map(Annotation::annotationType)
                        .anyMatch(t -> t.isAnnotationPresent(HttpMethod.class))) {
                    routes.add(RequestMetrics.route(resource, method));
                }
            }
        }
        assertThat(routes).contains("/v1/config/{key}", "/v1/locks/{name}", "/v1/cluster/members/{id}/promote");
        assertThat(documented).containsAll(routes);
        assertThat(routes).as("every documented /v1 path is a route").containsAll(documented);
    }
}
