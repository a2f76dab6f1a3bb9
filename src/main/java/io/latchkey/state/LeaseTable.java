package io.latchkey.state;

import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LeaderStamp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Leases and the replicated lease clock. Deadlines are lease-clock milliseconds; the clock only
 * moves forward, and only by leader stamps (see the package documentation for why that is
 * safe). This class never revokes anything itself: expiry is a decision the leader commits.
 */
final class LeaseTable {
    private static final long MILLIS_PER_SECOND = 1000;

    /** Orders leases by deadline so the leader's expiry scan reads only the expired ones. */
    private record Deadline(long expiresAtMillis, long leaseId) implements Comparable<Deadline> {
        @Override
        public int compareTo(Deadline other) {
            int byTime = Long.compare(expiresAtMillis, other.expiresAtMillis);
            return byTime != 0 ? byTime : Long.compare(leaseId, other.leaseId);
        }
    }

    private final TreeMap<Long, Lease> leases = new TreeMap<>();
    /** One entry per lease; derived from {@link #leases}, so rebuilt on restore. */
    private final TreeSet<Deadline> deadlines = new TreeSet<>();
    private long lastLeaseId;
    private long clockMillis;
    /** The term of the leader whose RenewAllLeases applied last; 0 before any. */
    private long leaseTerm;
    /** Serialized bytes of every lease, for the quota; kept as leases change, recomputed on restore. */
    private long sizeBytes;

    /**
     * Lets a command's stamp move the clock forward. Stamps from a term older than the lease
     * term come from a deposed leader's clock, which the current leader's expiry decisions
     * must not be measured against, so they are ignored.
     */
    void observe(LeaderStamp stamp) {
        if (stamp.getLeaderTerm() >= leaseTerm) {
            clockMillis = Math.max(clockMillis, stamp.getLeaseClockMillis());
        }
    }

    long clockMillis() {
        return clockMillis;
    }

    long leaseTerm() {
        return leaseTerm;
    }

    int size() {
        return leases.size();
    }

    /** The lease, or null. */
    Lease get(long leaseId) {
        return leases.get(leaseId);
    }

    boolean exists(long leaseId) {
        return leases.containsKey(leaseId);
    }

    Lease grant(long ttlSeconds, boolean forLock, String subject) {
        Lease lease = newLease(++lastLeaseId, ttlSeconds, forLock, subject);
        put(lease);
        return lease;
    }

    /** The bytes the next {@link #grant} with these arguments adds to {@link #sizeBytes()}. */
    long grantSizeBytes(long ttlSeconds, boolean forLock, String subject) {
        return newLease(lastLeaseId + 1, ttlSeconds, forLock, subject).getSerializedSize();
    }

    /** What the quota counts of the leases: their serialized size. */
    long sizeBytes() {
        return sizeBytes;
    }

    private Lease newLease(long id, long ttlSeconds, boolean forLock, String subject) {
        return Lease.newBuilder()
                .setId(id)
                .setSubject(subject)
                .setTtlSeconds(ttlSeconds)
                .setForLock(forLock)
                .setExpiresAtMillis(fullTermFromNow(ttlSeconds))
                .build();
    }

    /** Restarts the lease's TTL from the clock's now; never moves a deadline earlier. */
    Lease keepAlive(long leaseId) {
        return extend(leases.get(leaseId));
    }

    /** What a new leader does first: every lease gets at least its full TTL from now. */
    void renewAll(long leaderTerm) {
        Invariants.check(leaderTerm >= leaseTerm, "lease term %d would go back to %d", leaseTerm, leaderTerm);
        leaseTerm = leaderTerm;
        for (Lease lease : List.copyOf(leases.values())) {
            extend(lease);
        }
    }

    void remove(long leaseId) {
        Lease lease = leases.remove(leaseId);
        Invariants.check(lease != null, "remove of missing lease %d", leaseId);
        deadlines.remove(new Deadline(lease.getExpiresAtMillis(), leaseId));
        sizeBytes -= lease.getSerializedSize();
    }

    boolean expired(Lease lease, long nowMillis) {
        return lease.getExpiresAtMillis() <= nowMillis;
    }

    /** Leases whose deadline is not after {@code nowMillis}, earliest first, at most {@code countMax}. */
    List<Long> expiredAt(long nowMillis, int countMax) {
        List<Long> expired = new ArrayList<>();
        for (Deadline deadline : deadlines) {
            if (deadline.expiresAtMillis() > nowMillis || expired.size() == countMax) {
                break;
            }
            expired.add(deadline.leaseId());
        }
        return expired;
    }

    /** Milliseconds left at {@code nowMillis}; 0 once due (until the leader's revoke applies). */
    static long remainingMillis(Lease lease, long nowMillis) {
        return Math.max(0, lease.getExpiresAtMillis() - nowMillis);
    }

    Collection<Lease> all() {
        return leases.values();
    }

    long lastLeaseId() {
        return lastLeaseId;
    }

    void restore(long lastLeaseId, long clockMillis, long leaseTerm, List<Lease> snapshotLeases) {
        leases.clear();
        deadlines.clear();
        sizeBytes = 0;
        this.lastLeaseId = lastLeaseId;
        this.clockMillis = clockMillis;
        this.leaseTerm = leaseTerm;
        for (Lease lease : snapshotLeases) {
            Invariants.check(lease.getId() <= lastLeaseId, "lease %d above last id %d", lease.getId(), lastLeaseId);
            put(lease);
        }
    }

    private Lease extend(Lease lease) {
        long expiresAtMillis = Math.max(lease.getExpiresAtMillis(), fullTermFromNow(lease.getTtlSeconds()));
        if (expiresAtMillis == lease.getExpiresAtMillis()) {
            return lease;
        }
        deadlines.remove(new Deadline(lease.getExpiresAtMillis(), lease.getId()));
        Lease extended = lease.toBuilder().setExpiresAtMillis(expiresAtMillis).build();
        put(extended);
        return extended;
    }

    private long fullTermFromNow(long ttlSeconds) {
        return clockMillis + ttlSeconds * MILLIS_PER_SECOND;
    }

    /** Adds the lease, or replaces its older version (whose deadline the caller has removed). */
    private void put(Lease lease) {
        Lease old = leases.put(lease.getId(), lease);
        sizeBytes += lease.getSerializedSize() - (old == null ? 0 : old.getSerializedSize());
        deadlines.add(new Deadline(lease.getExpiresAtMillis(), lease.getId()));
    }
}
