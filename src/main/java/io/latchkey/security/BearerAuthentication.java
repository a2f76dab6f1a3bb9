package io.latchkey.security;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.ext.Provider;

import java.security.Principal;

/**
 * Authenticates every request to a JAX-RS resource by its bearer token when auth is on. Health,
 * metrics and OpenAPI are Helidon features outside JAX-RS: readable without a token unless
 * {@code latchkey.auth.open-paths} leaves them out (io.latchkey.api.FeatureAuthentication).
 * Runs after matching, so an unknown path is a 404 for anyone.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class BearerAuthentication implements ContainerRequestFilter {
    @Inject
    ClientAuth auth;

    @Override
    public void filter(ContainerRequestContext request) {
        if (!auth.enabled()) {
            return;
        }
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
