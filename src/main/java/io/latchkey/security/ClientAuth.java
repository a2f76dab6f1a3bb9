package io.latchkey.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.SecurityContext;
import org.eclipse.microprofile.config.Config;

/**
 * Client authentication and authorization of this node, as configured (see
 * {@link AuthSettings}): who a request's bearer token names, and whether that caller may use a
 * role on a key or lock name. With auth off every request may do everything, as before.
 */
@ApplicationScoped
public class ClientAuth {
    private final AuthSettings settings;
    private final TokenVerifier verifier;

    @Inject
    public ClientAuth(Config config) {
        this.settings = AuthSettings.from(config);
        this.verifier = settings.enabled() ? TokenVerifier.of(settings) : null;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * The caller an {@code Authorization} header names.
     *
     * @throws AccessDeniedException 401 without a bearer token or with one that fails verification
     */
    public Caller authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw AccessDeniedException.unauthenticated("a bearer token is required (Authorization: Bearer <JWT>)");
        }
        try {
            return verifier.verify(authorization.substring(7).strip());
        } catch (TokenVerifier.InvalidTokenException e) {
            throw AccessDeniedException.unauthenticated(e.getMessage());
        }
    }

    /**
     * Whether a request to {@code path} must carry a valid token that {@link BearerAuthentication}
     * does not check: a path outside /v1 (health, metrics, OpenAPI) not among the open paths.
     */
    public boolean guardsFeature(String path) {
        return settings.enabled() && !AuthSettings.isV1(path) && !settings.open(path);
    }

    /**
     * Refuses a caller whose groups do not grant {@code role} on {@code name} (a key, a lock
     * name or a listing prefix); {@code field} is the request field that carries it.
     *
     * @throws AccessDeniedException 403
     */
    public void requireFor(SecurityContext security, String role, String name, String field) {
        if (!settings.enabled()) {
            return;
        }
        Caller caller = (Caller) security.getUserPrincipal();
        if (!caller.hasRoleFor(role, name)) {
            throw AccessDeniedException.forbidden(caller.subject() + " may not use " + role + " on '" + name + "'", field);
        }
    }

    /** The authenticated caller, or null when auth is off. */
    public Caller caller(SecurityContext security) {
        return settings.enabled() ? (Caller) security.getUserPrincipal() : null;
    }
}
