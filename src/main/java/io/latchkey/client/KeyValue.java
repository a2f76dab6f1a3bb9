package io.latchkey.client;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A config key as read: {@code value} when its bytes are UTF-8 text, else {@code valueBase64};
 * {@code revision} is the global revision the read saw.
 */
public record KeyValue(String key, String value, String valueBase64, long createRevision, long modRevision,
                       long version, Long leaseId, long revision) {
    /** The value's bytes, whichever way the server sent them. */
    public byte[] bytes() {
        return value != null ? value.getBytes(StandardCharsets.UTF_8)
                : valueBase64 != null ? Base64.getDecoder().decode(valueBase64) : new byte[0];
    }

    /** The value as UTF-8 text. */
    public String text() {
        return value != null ? value : new String(bytes(), StandardCharsets.UTF_8);
    }
}
