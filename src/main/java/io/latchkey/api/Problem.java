package io.latchkey.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * An RFC 9457 problem detail, the body of every error answer. {@code field} names the
 * request field that was wrong, when one was.
 */
public record Problem(String type, String title, int status, String detail, String field) {
    public static final String MEDIA_TYPE = "application/problem+json";

    static Problem of(int status, String title, String detail, String field) {
        return new Problem("about:blank", title, status, detail, field);
    }

    public static Response response(int status, String title, String detail, String field) {
        return Response.status(status)
                .type(MediaType.valueOf(MEDIA_TYPE))
                .entity(of(status, title, detail, field))
                .build();
    }
}
