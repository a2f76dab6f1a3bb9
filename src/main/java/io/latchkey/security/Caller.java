package io.latchkey.security;

import java.security.Principal;
import java.util.Set;

/**
 * The subject of a verified bearer token and its groups. A group is a role ({@code admin},
 * {@code writer}, {@code reader}), optionally scoped to a prefix of key and lock names
 * ({@code writer:app/payments/}). An admin may do anything, a writer also read.
 */
public record Caller(String subject, Set<String> groups) implements Principal {
    public static final String ADMIN = "admin";
    public static final String WRITER = "writer";
    public static final String READER = "reader";

    @Override
    public String getName() {
        return subject;
    }

    /** Whether some group grants {@code role}, for some prefix at least. */
    public boolean hasRole(String role) {
        for (String group : groups) {
            int colon = group.indexOf(':');
            if (grants(colon < 0 ? group : group.substring(0, colon), role)) {
                return true;
            }
        }
        return false;
    }

    /** Whether some group grants {@code role} for every name that starts with {@code name}. */
    public boolean hasRoleFor(String role, String name) {
        for (String group : groups) {
            int colon = group.indexOf(':');
            String granted = colon < 0 ? group : group.substring(0, colon);
            String prefix = colon < 0 ? "" : group.substring(colon + 1);
            if (grants(granted, role) && name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    public boolean isAdmin() {
        return groups.contains(ADMIN);
    }

    private static boolean grants(String granted, String role) {
        return granted.equals(role) || granted.equals(ADMIN) || (granted.equals(WRITER) && role.equals(READER));
    }
}
