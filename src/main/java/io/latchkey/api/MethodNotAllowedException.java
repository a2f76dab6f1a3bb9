package io.latchkey.api;

import java.util.SortedSet;

/** A 405: the path is served, not for this method; the answer lists the methods in {@code Allow}. */
final class MethodNotAllowedException extends ProblemException {
    private final SortedSet<String> allowed;

    MethodNotAllowedException(String method, SortedSet<String> allowed) {
        super(405, "Method Not Allowed", method + " is not served here; allowed: " + String.join(", ", allowed), null);
        this.allowed = allowed;
    }

    /** The value of the {@code Allow} header (RFC 9110 section 10.2.1). */
    String allowHeader() {
        return String.join(", ", allowed);
    }
}
