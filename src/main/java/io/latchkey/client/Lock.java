package io.latchkey.client;

import java.time.Duration;

/**
 * A fenced lock. {@link #acquire()} waits in the lock's FIFO queue until granted,
 * {@link #tryAcquire(Duration)} waits at most a given time; the grant's {@link #token() fencing
 * token} grows with every grant, and {@link #put(String, String)} / {@link #delete(String)} write
 * only while this grant is current. {@link #close()} releases the lock (try-with-resources).
 *
 * <p>The lock is held through a {@link Lease} the client keeps alive: the lock's own, granted
 * for each acquire and revoked on release, or one given to {@link LatchkeyClient#lock(String, Lease)}
 * (kept on release). If the lease is lost the lock is lost too: {@link #isHeld()} turns false and
 * the lease's loss listeners ({@link #onLoss}) are told; fenced writes then fail with 412.
 *
 * <pre>{@code
 * try (Lock lock = client.lock("jobs/nightly").acquire()) {
 *     lock.put("jobs/nightly/last-run", Instant.now().toString());   // fenced
 * }
 * }</pre>
 */
public final class Lock implements AutoCloseable {
    /** The longest wait one request asks for (the server takes at most 300 s). */
    private static final Duration WAIT_PER_REQUEST_MAX = Duration.ofSeconds(60);

    private final LatchkeyClient client;
    private final String name;
    private final Lease sharedLease;
    private final Duration ttl;
    private final String owner;
    private Lease lease;
    private volatile LockHeld held;

    Lock(LatchkeyClient client, String name, Lease sharedLease, Duration ttl, String owner) {
        this.client = client;
        this.name = name;
        this.sharedLease = sharedLease;
        this.ttl = ttl;
        this.owner = owner;
    }

    public String name() {
        return name;
    }

    /** Waits until the lock is granted; returns this lock, held. */
    public Lock acquire() {
        while (!tryAcquire(WAIT_PER_REQUEST_MAX)) {
            if (Thread.currentThread().isInterrupted()) {
                throw new LatchkeyException(0, "Interrupted", "interrupted while waiting for the lock " + name, null);
            }
        }
        return this;
    }

    /** Acquires the lock if it is free now. */
    public boolean tryAcquire() {
        return tryAcquire(Duration.ZERO);
    }

    /**
     * Waits up to {@code timeout} in the lock's queue; true if granted. A wait that the cluster
     * could not finish (a leader change) is sent again with the same idempotency key, and so
     * keeps its place in the queue.
     */
    public synchronized boolean tryAcquire(Duration timeout) {
        if (isHeld()) {
            throw new IllegalStateException("the lock " + name + " is already held by this Lock (token " + held.token() + ")");
        }
        Lease l = leaseForAcquire();
        long end = System.nanoTime() + timeout.toNanos();
        do {
            long waitMillis = Math.max(0, Math.min(Duration.ofNanos(end - System.nanoTime()).toMillis(),
                    WAIT_PER_REQUEST_MAX.toMillis()));
            try {
                LockHeld grant = client.acquireLock(name, new Requests.Acquire(l.id(), null, waitMillis, owner));
                if (!l.isAlive()) {
                    // Lost while granted: the cluster releases it with the lease; we do not hold it.
                    break;
                }
                held = grant;
                return true;
            } catch (LatchkeyException e) {
                if (e.status() != 409) {
                    endOwnLease();
                    throw e;
                }
            }
        } while (end - System.nanoTime() > 0 && l.isAlive());
        endOwnLease();
        return false;
    }

    private Lease leaseForAcquire() {
        if (sharedLease != null) {
            if (!sharedLease.isAlive()) {
                throw new IllegalStateException("the lease " + sharedLease.id() + " of the lock " + name + " is not alive");
            }
            return sharedLease;
        }
        lease = client.grantLease(ttl);
        return lease;
    }

    private void endOwnLease() {
        if (lease != null) {
            Lease l = lease;
            lease = null;
            l.revoke();
        }
    }

    /** Whether this Lock holds the grant and its lease was not lost. */
    public boolean isHeld() {
        LockHeld h = held;
        Lease l = sharedLease != null ? sharedLease : lease;
        return h != null && l != null && l.isAlive();
    }

    /** The fencing token of the current grant. */
    public long token() {
        return current().token();
    }

    /** The fence of the current grant, for {@link LatchkeyClient#put(String, byte[], WriteOptions)}. */
    public Fence fence() {
        return new Fence(name, current().token());
    }

    /** The lease holding the lock. */
    public Lease lease() {
        current();
        return sharedLease != null ? sharedLease : lease;
    }

    /** Calls {@code listener} if the lease holding the lock is lost while held. */
    public Lock onLoss(Lease.LossListener listener) {
        lease().onLoss(listener);
        return this;
    }

    private LockHeld current() {
        LockHeld h = held;
        if (h == null) {
            throw new IllegalStateException("the lock " + name + " is not held");
        }
        return h;
    }

    /** A write fenced by this grant: applied only while it is current (412 otherwise). */
    public Written put(String key, String value) {
        return client.put(key, value, WriteOptions.none().fence(fence()));
    }

    public Written put(String key, byte[] value) {
        return client.put(key, value, WriteOptions.none().fence(fence()));
    }

    /** A delete fenced by this grant. */
    public Written delete(String key) {
        return client.delete(key, WriteOptions.none().fence(fence()));
    }

    /**
     * Releases the grant (the first waiter gets the lock) and revokes the lock's own lease; does
     * nothing if not held. A grant already lost with its lease needs no release.
     */
    public synchronized void release() {
        LockHeld h = held;
        held = null;
        if (h == null) {
            return;
        }
        try {
            Lease l = sharedLease != null ? sharedLease : lease;
            if (l != null && l.isAlive()) {
                client.releaseLock(name, h.token());
            }
        } catch (LatchkeyException e) {
            // 404/409: the grant ended meanwhile (lease expired); nothing left to release.
            if (e.status() != 404 && e.status() != 409) {
                throw e;
            }
        } finally {
            endOwnLease();
        }
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        LockHeld h = held;
        return "Lock[" + name + (h != null ? ", token " + h.token() : ", not held") + "]";
    }
}
