package io.latchkey.security;

/**
 * A request refused for who sent it: 401 without a valid token, 403 without the role (or the
 * prefix) the operation needs. The message says why, never what the token was.
 */
public class AccessDeniedException extends RuntimeException {
    private final int status;
    private final String field;

    private AccessDeniedException(int status, String message, String field) {
        super(message);
        this.status = status;
        this.field = field;
    }

    static AccessDeniedException unauthenticated(String why) {
        return new AccessDeniedException(401, why, null);
    }

    public static AccessDeniedException forbidden(String why, String field) {
        return new AccessDeniedException(403, why, field);
    }

    public int status() {
        return status;
    }

    /** The request field whose value the caller may not touch, or null. */
    public String field() {
        return field;
    }
}
