package io.latchkey.security;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.Provider;

import java.util.List;

/**
 * Enforces {@link RolesAllowed} on resource methods when auth is on: a caller none of whose
 * groups grants one of the roles (for some prefix) gets 403. Whether the role covers the key
 * or lock a request names is the resource's check ({@link ClientAuth#requireFor}). Also puts
 * {@link BearerAuthentication} before it on every resource method. With auth off (fixed at
 * start) it registers nothing, so requests run no authentication or role filter at all.
 */
@Provider
public class RoleCheck implements DynamicFeature {
    @Inject
    ClientAuth auth;

    @Override
    public void configure(ResourceInfo resource, FeatureContext context) {
        if (!auth.enabled()) {
            return;
        }
        context.register(new BearerAuthentication(auth), Priorities.AUTHENTICATION);
        RolesAllowed allowed = resource.getResourceMethod().getAnnotation(RolesAllowed.class);
        if (allowed == null) {
            allowed = resource.getResourceClass().getAnnotation(RolesAllowed.class);
        }
        if (allowed != null) {
            context.register(new Filter(List.of(allowed.value())), Priorities.AUTHORIZATION);
        }
    }

    private record Filter(List<String> roles) implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext request) {
            for (String role : roles) {
                if (request.getSecurityContext().isUserInRole(role)) {
                    return;
                }
            }
            throw AccessDeniedException.forbidden(request.getSecurityContext().getUserPrincipal().getName()
                    + " has none of the roles " + String.join(", ", roles), null);
        }
    }
}
