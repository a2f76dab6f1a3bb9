package io.latchkey.state;

import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LeaseInfo;
import io.latchkey.state.proto.LockState;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads of the replicated state, with no log entry: the REST layer calls them on the loop
 * thread after a read barrier, so they see every command committed before the read. Each is
 * a lookup or an ordered range scan; the returned messages are immutable.
 */
public final class StateView {
    private final RevisionCounter revisions;
    private final KeySpace keys;
    private final LeaseTable leases;
    private final LockTable locks;
    private final WatchHistory history;
    private final Supplier<QuotaUsage> quota;

    StateView(RevisionCounter revisions, KeySpace keys, LeaseTable leases, LockTable locks, WatchHistory history,
              Supplier<QuotaUsage> quota) {
        this.quota = quota;
        this.revisions = revisions;
        this.keys = keys;
        this.leases = leases;
        this.locks = locks;
        this.history = history;
    }

    /** The global revision: the number of state changes applied so far. */
    public long revision() {
        return revisions.current();
    }

    /**
     * The replicated lease clock: the latest leader stamp. A new leader starts its own lease
     * clock here, once it has applied the entries of earlier terms.
     */
    public long leaseClockMillis() {
        return leases.clockMillis();
    }

    /** The term of the leader that last renewed all leases; only it may expire them. */
    public long leaseTerm() {
        return leases.leaseTerm();
    }

    public Optional<KeyValue> key(String key) {
        return Optional.ofNullable(keys.get(key));
    }

    /**
     * Keys starting with {@code prefix} (empty: all), after {@code startAfter} (empty: from
     * the first), at most {@code limit} (clamped to 1..{@link Limits#LIST_LIMIT_COUNT_MAX}).
     */
    public KeyPage keys(String prefix, String startAfter, int limit) {
        return keys.list(prefix, startAfter, clampLimit(limit));
    }

    /**
     * The lease with its remaining time at {@code nowMillis} — the leader passes its lease
     * clock; a follower has none and passes {@link #leaseClockMillis()}, which lags the leader
     * and so overstates the remaining time by at most the time since the last stamp.
     */
    public Optional<LeaseInfo> lease(long leaseId, long nowMillis) {
        Lease lease = leases.get(leaseId);
        if (lease == null) {
            return Optional.empty();
        }
        return Optional.of(LeaseInfo.newBuilder()
                .setId(lease.getId())
                .setTtlSeconds(lease.getTtlSeconds())
                .setRemainingMillis(LeaseTable.remainingMillis(lease, nowMillis))
                .addAllKeys(keys.keysOf(leaseId))
                .addAllHeldLocks(locks.namesHeldBy(leaseId))
                .addAllAwaitedLocks(locks.namesAwaitedBy(leaseId))
                .build());
    }

    /**
     * The leader's expiry scan: leases whose deadline is not after {@code nowMillis} (its lease
     * clock), earliest deadline first, at most {@link Limits#EXPIRE_BATCH_LEASES_MAX}. It
     * proposes them in one ExpireLeases; the state machine checks each again when it applies.
     */
    public List<Long> expiredLeases(long nowMillis) {
        return leases.expiredAt(nowMillis, Limits.EXPIRE_BATCH_LEASES_MAX);
    }

    /** The subject that owns the lease; empty when there is no such lease or it was granted with auth off. */
    public String leaseSubject(long leaseId) {
        Lease lease = leases.get(leaseId);
        return lease == null ? "" : lease.getSubject();
    }

    /** The lock's holder, token and waiters in order, or empty when it is free. */
    public Optional<LockState> lock(String name) {
        return Optional.ofNullable(locks.get(name));
    }

    /** Held locks whose name starts with {@code prefix}, in name order. */
    public List<LockState> locks(String prefix, int limit) {
        return locks.list(prefix, clampLimit(limit));
    }

    /**
     * Key events with a revision of at least {@code fromRevision} and a key starting with
     * {@code prefix}, at most {@code countMax}; or compacted, when events at or after
     * {@code fromRevision} may have been dropped from the history.
     */
    public WatchBatch eventsSince(long fromRevision, String prefix, int countMax) {
        return history.since(fromRevision, prefix, clampLimit(countMax), revisions.current());
    }

    /** Every key event above this revision is in the history. */
    public long historyCompactedRevision() {
        return history.compactedRevision();
    }

    /** How many locks are held now (for metrics). */
    public int lockCount() {
        return locks.size();
    }

    /** How many leases exist now (for metrics). */
    public int leaseCount() {
        return leases.size();
    }

    /** The state's size against its quota (for health and metrics). */
    public QuotaUsage quota() {
        return quota.get();
    }

    private static int clampLimit(int limit) {
        return Math.max(1, Math.min(limit, Limits.LIST_LIMIT_COUNT_MAX));
    }
}
