package io.latchkey.api;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.microprofile.server.ServerCdiExtension;
import io.latchkey.security.AccessDeniedException;
import io.latchkey.security.ClientAuth;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

/**
 * With auth on, a bearer token for the paths outside /v1 that {@code latchkey.auth.open-paths}
 * does not list (by default health, metrics and OpenAPI are all open). Those are Helidon
 * features, not JAX-RS resources, so a web server filter checks them, ahead of every route:
 * any valid token will do, no role is needed. Registered only when auth is on, before the
 * server starts (its own observer runs at a later priority).
 */
@ApplicationScoped
public class FeatureAuthentication {
    private final Jsonb jsonb = JsonbBuilder.create();

    void register(@Observes @Initialized(ApplicationScoped.class) Object ignored, ServerCdiExtension server, ClientAuth auth) {
        if (!auth.enabled()) {
            return;
        }
        server.serverRoutingBuilder().addFilter((chain, request, response) -> {
            if (!auth.guardsFeature(request.prologue().uriPath().path())) {
                chain.proceed();
                return;
            }
            try {
                auth.authenticate(request.headers().first(HeaderNames.AUTHORIZATION).orElse(null));
            } catch (AccessDeniedException e) {
                response.status(Status.UNAUTHORIZED_401)
                        .header(HeaderNames.WWW_AUTHENTICATE, "Bearer")
                        .header(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE)
                        .send(jsonb.toJson(Problem.of(401, "Unauthorized", e.getMessage(), null)));
                return;
            }
            chain.proceed();
        });
    }
}
