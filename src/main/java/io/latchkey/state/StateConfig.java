package io.latchkey.state;

/**
 * Bounds of the watch history. They shape the replicated state (and snapshot bytes), so every
 * replica of a cluster must use the same values, like the raft configuration.
 *
 * @param historyEventsCountMax the most key events kept for watch resume
 * @param historySizeBytesMax   the most serialized bytes of key events kept
 */
public record StateConfig(int historyEventsCountMax, long historySizeBytesMax) {
    public static final StateConfig DEFAULT = new StateConfig(10_000, 64L * 1024 * 1024);

    public StateConfig {
        if (historyEventsCountMax < 1) {
            throw new IllegalArgumentException("historyEventsCountMax must be at least 1, is " + historyEventsCountMax);
        }
        // One maximal event must fit, or a big put would be compacted the moment it is applied.
        long oneEventBytesMax = Limits.KEY_SIZE_BYTES_MAX + Limits.VALUE_SIZE_BYTES_MAX + 64L;
        if (historySizeBytesMax < oneEventBytesMax) {
            throw new IllegalArgumentException("historySizeBytesMax must be at least " + oneEventBytesMax
                    + " (one largest event), is " + historySizeBytesMax);
        }
    }
}
