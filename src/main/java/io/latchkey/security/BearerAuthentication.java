package io.latchkey.security;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;

import java.security.Principal;

/**
 * Authenticates every request to a JAX-RS resource by its bearer token when auth is on. Health,
 * metrics and OpenAPI are Helidon features outside JAX-RS: readable without a token unless
 * {@code latchkey.auth.open-paths} leaves them out (io.latchkey.api.FeatureAuthentication).
 * Runs after matching, so an unknown path is a 404 for anyone. {@link RoleCheck} registers it on
 * every resource method when auth is on, and nowhere when it is off.
 */
final class BearerAuthentication implements ContainerRequestFilter {
    private final ClientAuth auth;

    BearerAuthentication(ClientAuth auth) {
        this.auth = auth;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        Caller caller = auth.authenticate(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        boolean secure = request.getSecurityContext().isSecure();
        request.setSecurityContext(new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return caller;
            }

            @Override
            public boolean isUserInRole(String role) {
                return caller.hasRole(role);
            }

            @Override
            public boolean isSecure() {
                return secure;
            }

            @Override
            public String getAuthenticationScheme() {
                return "Bearer";
            }
        });
    }
}
