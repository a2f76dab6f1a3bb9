package io.latchkey.state;

import io.latchkey.state.proto.KeyValue;

import java.util.List;

/**
 * One page of a prefix listing, in key order.
 *
 * @param more     whether keys with the prefix follow the last one returned
 * @param revision the global revision the page was read at
 */
public record KeyPage(List<KeyValue> keys, boolean more, long revision) {
    public KeyPage {
        keys = List.copyOf(keys);
    }
}
