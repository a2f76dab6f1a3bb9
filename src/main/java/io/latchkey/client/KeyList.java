package io.latchkey.client;

import java.util.List;

/** One page of keys by prefix, read at {@code revision}; {@code more} says whether more follow. */
public record KeyList(long revision, List<KeyValue> keys, boolean more) {
}
