package io.latchkey.client;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbException;

import java.nio.charset.StandardCharsets;

/** JSON-B for the client's records; unknown properties are ignored, so newer servers stay readable. */
public final class Json {
    private static final Jsonb JSONB = JsonbBuilder.create();

    private Json() {
    }

    /** An RFC 9457 problem as the server sends it. */
    public record Problem(String type, String title, Integer status, String detail, String field) {
    }

    static <T> T read(byte[] body, Class<T> type) {
        try {
            return JSONB.fromJson(new String(body, StandardCharsets.UTF_8), type);
        } catch (JsonbException e) {
            throw new LatchkeyException(0, "Unreadable answer", "the answer is not a " + type.getSimpleName()
                    + ": " + e.getMessage(), null, e);
        }
    }

    static <T> T read(String body, Class<T> type) {
        return read(body.getBytes(StandardCharsets.UTF_8), type);
    }

    static byte[] write(Object value) {
        return JSONB.toJson(value).getBytes(StandardCharsets.UTF_8);
    }

    /** JSON of a record on one line, for the CLI. */
    public static String text(Object value) {
        return JSONB.toJson(value);
    }

    /** The problem of an error answer, or a bare one with the status when the body is not a problem. */
    static LatchkeyException problem(int status, byte[] body) {
        try {
            Problem p = JSONB.fromJson(new String(body, StandardCharsets.UTF_8), Problem.class);
            if (p != null && (p.title() != null || p.detail() != null)) {
                return new LatchkeyException(status, p.title(), p.detail(), p.field());
            }
        } catch (JsonbException e) {
            // Not a problem document: fall through.
        }
        return new LatchkeyException(status, "HTTP " + status, null, null);
    }
}
