package io.latchkey.server;

import io.helidon.config.Config;
import io.helidon.service.registry.GlobalServiceRegistry;
import io.helidon.service.registry.Scopes;
import io.helidon.webserver.RequestScopeFeature;
import io.helidon.webserver.spi.ServerFeatureProvider;

/**
 * Makes {@code server.features.request-scope.enabled} settable in Helidon MP 4.4. MP adds the
 * web server's service-registry request scope (Helidon Inject's {@code @Service.PerRequest})
 * unless that key exists, and then the web server looks the key's provider up with the
 * ServiceLoader, where Helidon registers none: the start fails with "Unknown provider configured
 * ... request-scope". This is that provider (META-INF/services). Latchkey sets the key to false:
 * nothing here is a per-request registry service (the resources are CDI beans, and Jersey keeps
 * its own request scope), and the scope is created and closed on every request (~5% of a
 * serializable get's CPU, BENCHMARKS.md "JAX-RS CPU per request").
 */
public class RequestScopeSwitch implements ServerFeatureProvider<RequestScopeFeature> {
    private static final String TYPE = "request-scope";

    @Override
    public String configKey() {
        return TYPE;
    }

    @Override
    public RequestScopeFeature create(Config config, String name) {
        boolean enabled = config.get("enabled").asBoolean().orElse(true);
        return RequestScopeFeature.create(() -> GlobalServiceRegistry.registry().get(Scopes.class), enabled);
    }
}
