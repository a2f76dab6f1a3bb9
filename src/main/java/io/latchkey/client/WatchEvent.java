package io.latchkey.client;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** One change of a watched key; {@code modRevision} is the change's revision. */
public record WatchEvent(String type, String key, String value, String valueBase64, long modRevision,
                         long createRevision, long version) {
    public boolean isDelete() {
        return "DELETE".equals(type);
    }

    /** The new value's bytes (empty for a delete). */
    public byte[] bytes() {
        return value != null ? value.getBytes(StandardCharsets.UTF_8)
                : valueBase64 != null ? Base64.getDecoder().decode(valueBase64) : new byte[0];
    }

    public String text() {
        return value != null ? value : new String(bytes(), StandardCharsets.UTF_8);
    }
}
