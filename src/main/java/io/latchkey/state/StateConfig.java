package io.latchkey.state;

/**
 * Bounds of the replicated state. They decide what the state machine applies (and the
 * snapshot bytes), so every replica of a cluster must use the same values, like the raft
 * configuration.
 *
 * @param historyEventsCountMax the most key events kept for watch resume
 * @param historySizeBytesMax   the most serialized bytes of key events kept
 * @param quotaBytes            the most serialized bytes of keys, values, history, leases and
 *                              locks together (etcd's {@code --quota-backend-bytes}): a put,
 *                              lease grant or lock acquire that would grow the state beyond it
 *                              is refused; deletes, releases and revokes still apply
 */
public record StateConfig(int historyEventsCountMax, long historySizeBytesMax, long quotaBytes) {
    public static final long QUOTA_BYTES_DEFAULT = 512L * 1024 * 1024;
    public static final StateConfig DEFAULT = new StateConfig(10_000, 64L * 1024 * 1024, QUOTA_BYTES_DEFAULT);

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
        // Deleting keys must be able to bring the state back under the quota: the history
        // alone (which deletes do not shrink) must leave room for at least one largest key.
        if (quotaBytes < historySizeBytesMax + oneEventBytesMax) {
            throw new IllegalArgumentException("quotaBytes must be at least historySizeBytesMax + " + oneEventBytesMax
                    + " (one largest key) = " + (historySizeBytesMax + oneEventBytesMax) + ", is " + quotaBytes);
        }
    }
}
