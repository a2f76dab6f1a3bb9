package io.latchkey.state;

import io.latchkey.state.proto.LockGrant;
import io.latchkey.state.proto.LockQueued;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.LockWaiter;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Locks held by leases, with FIFO queues of waiters. A lock exists exactly while it has a
 * holder: whenever the holder goes, the first waiter is granted at once (every waiter's lease
 * is live, because a revoke removes the lease's waits), and a lock without waiters is dropped.
 *
 * <p>Every grant takes a fresh revision as its fencing token, so tokens increase strictly
 * across all locks, and a token names one grant forever.
 */
final class LockTable {
    private final TreeMap<String, LockState> locks = new TreeMap<>();
    /** Lock names each lease holds or waits for; derived from {@link #locks}, rebuilt on restore. */
    private final TreeMap<Long, TreeSet<String>> namesByLease = new TreeMap<>();
    private final RevisionCounter revisions;
    private final Notifications notifications;
    /** Serialized bytes of every lock (holder and waiters), for the quota; recomputed on restore. */
    private long sizeBytes;

    LockTable(RevisionCounter revisions, Notifications notifications) {
        this.revisions = revisions;
        this.notifications = notifications;
    }

    /** Held locks. */
    int size() {
        return locks.size();
    }

    /** The lock, or null when it is free. */
    LockState get(String name) {
        return locks.get(name);
    }

    /** The holder's token, 0 when the lock is free. */
    long holderToken(String name) {
        LockState lock = locks.get(name);
        return lock == null ? 0 : lock.getHolder().getToken();
    }

    /**
     * Why {@code leaseId} (0 for a lease not granted yet) cannot acquire or queue for the lock,
     * or null. Checked before anything changes, so a refused acquire grants no fresh lease.
     */
    Result.Builder refusal(String name, long leaseId, long waitMillis) {
        LockState lock = locks.get(name);
        if (lock == null || lock.getHolder().getLeaseId() == leaseId || waiterOf(lock, leaseId) != null) {
            return null;
        }
        if (waitMillis == 0) {
            return Result.newBuilder().setStatus(Status.BUSY).setField("name")
                    .setMessage("lock " + name + " is held");
        }
        if (lock.getWaitersCount() >= Limits.LOCK_WAITERS_COUNT_MAX) {
            return Result.newBuilder().setStatus(Status.RESOURCE_EXHAUSTED).setField("name")
                    .setMessage("lock " + name + " has " + Limits.LOCK_WAITERS_COUNT_MAX + " waiters already");
        }
        return null;
    }

    /**
     * Grants the lock or queues the lease. A lease that holds or awaits the lock already gets
     * its existing grant or place back, so a retried acquire does not queue behind itself.
     */
    Result.Builder acquire(String name, long leaseId, String owner) {
        LockState lock = locks.get(name);
        if (lock == null) {
            long token = revisions.next();
            LockGrant grant = LockGrant.newBuilder().setName(name).setToken(token).setLeaseId(leaseId)
                    .setOwner(owner).setTicket(token).build();
            store(LockState.newBuilder().setName(name).setHolder(grant).build());
            index(leaseId, name);
            notifications.add(listener -> listener.lockGranted(grant));
            return Result.newBuilder().setStatus(Status.OK).setHeld(grant);
        }
        if (lock.getHolder().getLeaseId() == leaseId) {
            return Result.newBuilder().setStatus(Status.OK).setHeld(lock.getHolder());
        }
        LockWaiter waiter = waiterOf(lock, leaseId);
        if (waiter == null) {
            waiter = LockWaiter.newBuilder().setTicket(revisions.next()).setLeaseId(leaseId).setOwner(owner).build();
            lock = lock.toBuilder().addWaiters(waiter).build();
            store(lock);
            index(leaseId, name);
        }
        return Result.newBuilder().setStatus(Status.QUEUED).setQueued(LockQueued.newBuilder()
                .setName(name).setTicket(waiter.getTicket()).setLeaseId(waiter.getLeaseId())
                .setOwner(waiter.getOwner()).setPosition(lock.getWaitersList().indexOf(waiter) + 1));
    }

    Result.Builder release(String name, long token) {
        LockState lock = locks.get(name);
        if (lock == null) {
            return Result.newBuilder().setStatus(Status.NOT_FOUND).setField("name").setMessage("lock " + name + " is free");
        }
        if (lock.getHolder().getToken() != token) {
            return Result.newBuilder().setStatus(Status.NOT_HOLDER).setField("token")
                    // No token in the text: an error must not hand out the holder's token.
                    .setMessage("the token given does not hold lock " + name);
        }
        releaseHolder(lock);
        return Result.newBuilder().setStatus(Status.OK);
    }

    /** The lease of the grant with this token, 0 if the token does not hold the lock. */
    long holderLease(String name, long token) {
        LockState lock = locks.get(name);
        return lock == null || lock.getHolder().getToken() != token ? 0 : lock.getHolder().getLeaseId();
    }

    /** The lease behind a ticket that holds or awaits the lock, 0 if none. */
    long ticketLease(String name, long ticket) {
        LockState lock = locks.get(name);
        if (lock == null) {
            return 0;
        }
        if (lock.getHolder().getTicket() == ticket) {
            return lock.getHolder().getLeaseId();
        }
        for (LockWaiter waiter : lock.getWaitersList()) {
            if (waiter.getTicket() == ticket) {
                return waiter.getLeaseId();
            }
        }
        return 0;
    }

    /**
     * Ends a wait. If the grant beat the give-up, the lock is released: the caller has told
     * its client it did not get the lock, so keeping it would only block others until expiry.
     */
    Result.Builder giveUp(String name, long ticket) {
        LockState lock = locks.get(name);
        Invariants.check(ticketLease(name, ticket) != 0, "give-up of unknown ticket %d on %s", ticket, name);
        if (lock.getHolder().getTicket() == ticket) {
            releaseHolder(lock);
            return Result.newBuilder().setStatus(Status.OK).setMessage("ticket " + ticket + " had been granted; released");
        }
        removeWaiters(lock, w -> w.getTicket() == ticket);
        return Result.newBuilder().setStatus(Status.OK);
    }

    /** A revoked lease lets go of every lock it holds and leaves every queue, in name order. */
    void dropLease(long leaseId) {
        TreeSet<String> names = namesByLease.get(leaseId);
        if (names == null) {
            return;
        }
        for (String name : List.copyOf(names)) {
            LockState lock = locks.get(name);
            if (lock.getHolder().getLeaseId() == leaseId) {
                releaseHolder(lock);
            } else {
                removeWaiters(lock, w -> w.getLeaseId() == leaseId);
            }
        }
        Invariants.check(!namesByLease.containsKey(leaseId), "lease %d still indexed after dropping its locks", leaseId);
    }

    /** Whether the lease holds or awaits any lock. */
    boolean usedBy(long leaseId) {
        return namesByLease.containsKey(leaseId);
    }

    List<String> namesHeldBy(long leaseId) {
        return names(leaseId, true);
    }

    List<String> namesAwaitedBy(long leaseId) {
        return names(leaseId, false);
    }

    List<LockState> list(String prefix, int limit) {
        List<LockState> page = new ArrayList<>();
        for (Map.Entry<String, LockState> entry : locks.tailMap(prefix, true).entrySet()) {
            if (!entry.getKey().startsWith(prefix) || page.size() == limit) {
                break;
            }
            page.add(entry.getValue());
        }
        return page;
    }

    /** What the quota counts of the locks: their serialized size, waiters included. */
    long sizeBytes() {
        return sizeBytes;
    }

    /**
     * An upper bound of the bytes {@link #acquire} would add: a new lock with its holder, or
     * one more waiter, each numbered with a revision at most {@code revisionMax}; 0 when the
     * lease holds or awaits the lock already.
     */
    long acquireGrowthBytesMax(String name, long leaseId, String owner, long revisionMax) {
        LockState lock = locks.get(name);
        if (lock == null) {
            LockGrant grant = LockGrant.newBuilder().setName(name).setToken(revisionMax).setLeaseId(leaseId)
                    .setOwner(owner).setTicket(revisionMax).build();
            return LockState.newBuilder().setName(name).setHolder(grant).build().getSerializedSize();
        }
        if (lock.getHolder().getLeaseId() == leaseId || waiterOf(lock, leaseId) != null) {
            return 0;
        }
        LockWaiter waiter = LockWaiter.newBuilder().setTicket(revisionMax).setLeaseId(leaseId).setOwner(owner).build();
        return lock.toBuilder().addWaiters(waiter).build().getSerializedSize() - lock.getSerializedSize();
    }

    Collection<LockState> all() {
        return locks.values();
    }

    void restore(List<LockState> snapshotLocks) {
        locks.clear();
        namesByLease.clear();
        sizeBytes = 0;
        for (LockState lock : snapshotLocks) {
            Invariants.check(lock.hasHolder(), "snapshot lock %s has no holder", lock.getName());
            store(lock);
            index(lock.getHolder().getLeaseId(), lock.getName());
            for (LockWaiter waiter : lock.getWaitersList()) {
                index(waiter.getLeaseId(), lock.getName());
            }
        }
    }

    /** The release takes a revision; the hand-off to the first waiter, if any, another. */
    private void releaseHolder(LockState lock) {
        revisions.next();
        String name = lock.getName();
        unindex(lock.getHolder().getLeaseId(), name);
        if (lock.getWaitersCount() == 0) {
            sizeBytes -= locks.remove(name).getSerializedSize();
            return;
        }
        LockWaiter next = lock.getWaiters(0);
        LockGrant grant = LockGrant.newBuilder().setName(name).setToken(revisions.next()).setLeaseId(next.getLeaseId())
                .setOwner(next.getOwner()).setTicket(next.getTicket()).build();
        store(lock.toBuilder().setHolder(grant).removeWaiters(0).build());
        notifications.add(listener -> listener.lockGranted(grant));
    }

    private void removeWaiters(LockState lock, Predicate<LockWaiter> leaving) {
        LockState.Builder kept = lock.toBuilder().clearWaiters();
        for (LockWaiter waiter : lock.getWaitersList()) {
            if (leaving.test(waiter)) {
                revisions.next();
                unindex(waiter.getLeaseId(), lock.getName());
                notifications.add(listener -> listener.waiterRemoved(lock.getName(), waiter.getTicket()));
            } else {
                kept.addWaiters(waiter);
            }
        }
        store(kept.build());
    }

    /** Adds the lock or replaces its older version, keeping {@link #sizeBytes} up to date. */
    private void store(LockState lock) {
        LockState old = locks.put(lock.getName(), lock);
        sizeBytes += lock.getSerializedSize() - (old == null ? 0 : old.getSerializedSize());
    }

    private static LockWaiter waiterOf(LockState lock, long leaseId) {
        for (LockWaiter waiter : lock.getWaitersList()) {
            if (waiter.getLeaseId() == leaseId) {
                return waiter;
            }
        }
        return null;
    }

    private List<String> names(long leaseId, boolean held) {
        TreeSet<String> names = namesByLease.get(leaseId);
        if (names == null) {
            return List.of();
        }
        List<String> result = new ArrayList<>();
        for (String name : names) {
            if ((locks.get(name).getHolder().getLeaseId() == leaseId) == held) {
                result.add(name);
            }
        }
        return result;
    }

    private void index(long leaseId, String name) {
        namesByLease.computeIfAbsent(leaseId, id -> new TreeSet<>()).add(name);
    }

    private void unindex(long leaseId, String name) {
        TreeSet<String> names = namesByLease.get(leaseId);
        names.remove(name);
        if (names.isEmpty()) {
            namesByLease.remove(leaseId);
        }
    }
}
