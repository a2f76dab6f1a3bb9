package io.latchkey.state;

/**
 * How full the state is against its quota (see {@link StateConfig#quotaBytes()}).
 *
 * @param sizeBytes  serialized keys, values, history, leases and locks now
 * @param quotaBytes the configured quota
 * @param alarm      a write was refused for the quota and the state has not shrunk since
 */
public record QuotaUsage(long sizeBytes, long quotaBytes, boolean alarm) {
}
