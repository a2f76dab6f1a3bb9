package io.latchkey.api;

import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * JSON for the routes of the state API, without a binding layer: answers are written field by
 * field and request bodies (flat objects of numbers and strings) read with JSON-P. Callers add
 * fields in name order, absent (null) ones left out, which is what JSON-B wrote for the same
 * records, so answers look as they did when JAX-RS served these paths.
 */
final class JsonText {
    /** Looked up once: {@code Json.createReader} searches the service loader on every call. */
    private static final JsonReaderFactory READERS = JsonProvider.provider().createReaderFactory(Map.of());

    private final StringBuilder out = new StringBuilder(128).append('{');

    private JsonText() {
    }

    static JsonText object() {
        return new JsonText();
    }

    JsonText field(String name, String value) {
        if (value != null) {
            name(name);
            string(out, value);
        }
        return this;
    }

    JsonText field(String name, long value) {
        name(name).append(value);
        return this;
    }

    JsonText field(String name, Long value) {
        return value == null ? this : field(name, value.longValue());
    }

    JsonText field(String name, boolean value) {
        name(name).append(value);
        return this;
    }

    JsonText strings(String name, List<String> values) {
        name(name).append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            string(out, values.get(i));
        }
        out.append(']');
        return this;
    }

    /** An array of objects, each already written by {@link #toString()}. */
    JsonText objects(String name, List<String> objects) {
        name(name).append('[').append(String.join(",", objects)).append(']');
        return this;
    }

    private StringBuilder name(String name) {
        if (out.length() > 1) {
            out.append(',');
        }
        string(out, name);
        return out.append(':');
    }

    @Override
    public String toString() {
        return out.toString() + '}';
    }

    byte[] bytes() {
        return toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Escapes as JSON-P's generator does: quote, backslash and control characters; the rest as is. */
    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * A request body that is not empty: null for the JSON literal {@code null}.
     *
     * @throws ProblemException 400 naming {@code body} when it is not one JSON object
     */
    static JsonObject read(byte[] body) {
        try (JsonReader reader = READERS.createReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8)) {
            JsonValue value = reader.readValue();
            if (value.getValueType() == JsonValue.ValueType.NULL) {
                return null;
            }
            if (value.getValueType() != JsonValue.ValueType.OBJECT) {
                throw badBody("a JSON " + value.getValueType().name().toLowerCase(java.util.Locale.ROOT) + " is not an object");
            }
            return value.asJsonObject();
        } catch (JsonException e) {
            throw badBody(e.getMessage());
        }
    }

    /**
     * Refuses a field the request does not take (the schemas say {@code additionalProperties:
     * false}): a misspelt {@code waitMilis} must not turn a wait into a try-lock unnoticed.
     *
     * @throws ProblemException 400 naming the first unknown field
     */
    static void requireOnly(JsonObject body, Set<String> names) {
        if (body == null) {
            return;
        }
        for (String name : body.keySet()) {
            if (!names.contains(name)) {
                throw ProblemException.badField(name, "unknown field " + name + "; this request takes "
                        + String.join(", ", new TreeSet<>(names)));
            }
        }
    }

    /**
     * A whole number, given as a number (a fraction is cut off) or a string of digits, as
     * JSON-B took it; null if absent. Unlike JSON-B, a number beyond 64 bits is refused
     * instead of wrapped around.
     */
    static Long longField(JsonObject body, String name) {
        JsonValue value = body == null ? null : body.get(name);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        try {
            return switch (value) {
                case JsonNumber n -> n.bigDecimalValue().toBigInteger().longValueExact();
                case JsonString s -> Long.parseLong(s.getString().strip());
                default -> throw badBody(name + " must be a whole number, not " + value);
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw badBody(name + " must be a whole number that fits 64 bits, not " + value);
        }
    }

    /** A string (a number or boolean is taken as its text, as JSON-B took it); null if absent. */
    static String stringField(JsonObject body, String name) {
        JsonValue value = body == null ? null : body.get(name);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        return switch (value) {
            case JsonString s -> s.getString();
            case JsonNumber n -> n.toString();
            default -> {
                if (value.getValueType() == JsonValue.ValueType.TRUE || value.getValueType() == JsonValue.ValueType.FALSE) {
                    yield value.toString();
                }
                throw badBody(name + " must be a string, not " + value);
            }
        };
    }

    private static ProblemException badBody(String why) {
        return ProblemException.badField("body", "the body is not the JSON object this request takes: " + why);
    }
}
