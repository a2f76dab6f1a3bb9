package io.latchkey.security;

import jakarta.annotation.Priority;
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
 * or lock a request names is the resource's check ({@link ClientAuth#requireFor}).
 */
@Provider
public class RoleCheck implements DynamicFeature {
    @Inject
    ClientAuth auth;

    @Override
    public void configure(ResourceInfo resource, FeatureContext context) {
        RolesAllowed allowed = resource.getResourceMethod().getAnnotation(RolesAllowed.class);
        if (allowed == null) {
            allowed = resource.getResourceClass().getAnnotation(RolesAllowed.class);
        }
        if (allowed != null) {
            context.register(new Filter(auth, List.of(allowed.value())));
        }
    }

    @Priority(Priorities.AUTHORIZATION)
    private record Filter(ClientAuth auth, List<String> roles) implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext request) {
            if (!auth.enabled()) {
                return;
            }
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
