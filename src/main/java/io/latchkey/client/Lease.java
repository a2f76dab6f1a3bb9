package io.latchkey.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease the client keeps alive: it sends a keep-alive every third of the TTL, failing over
 * between members, until {@link #revoke()} or {@link #close()}. The lease is <em>lost</em> when the
 * cluster says it no longer exists (it expired, or someone revoked it) or when no keep-alive was
 * confirmed before the TTL of the last confirmed one ran out; loss listeners are then called once,
 * on the keep-alive thread. Keys and locks held through a lost lease are gone (or about to be).
 */
public final class Lease implements AutoCloseable {
    /** Told when a lease is lost; {@code reason} says why. */
    @FunctionalInterface
    public interface LossListener {
        void leaseLost(Lease lease, LatchkeyException reason);
    }

    private final LatchkeyClient client;
    private final long id;
    private final Duration ttl;
    private final List<LossListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile LatchkeyException lost;
    /** System.nanoTime() by which the cluster has certainly expired the lease without a keep-alive. */
    private volatile long expiresNanos;
    private final ScheduledFuture<?> keepAlive;

    Lease(LatchkeyClient client, long id, Duration ttl, long grantedNanos) {
        this.client = client;
        this.id = id;
        this.ttl = ttl;
        this.expiresNanos = grantedNanos + ttl.toNanos();
        long period = Math.max(ttl.toMillis() / 3, 100);
        this.keepAlive = client.scheduler().scheduleWithFixedDelay(this::keepAlive, period, period, TimeUnit.MILLISECONDS);
    }

    public long id() {
        return id;
    }

    public Duration ttl() {
        return ttl;
    }

    /** True until the lease is lost, revoked or closed. */
    public boolean isAlive() {
        return !ended.get() && lost == null;
    }

    /** Why the lease was lost, or null. */
    public LatchkeyException lossReason() {
        return lost;
    }

    /** Calls {@code listener} when the lease is lost (at once, if it is already). */
    public Lease onLoss(LossListener listener) {
        listeners.add(listener);
        LatchkeyException reason = lost;
        if (reason != null && listeners.remove(listener)) {
            listener.leaseLost(this, reason);
        }
        return this;
    }

    private void keepAlive() {
        if (!isAlive()) {
            return;
        }
        long sent = System.nanoTime();
        long left = expiresNanos - sent;
        try {
            if (left <= 0) {
                throw new LatchkeyException(0, "Lease not renewed", "no keep-alive of lease " + id
                        + " was confirmed within its TTL of " + ttl, "id");
            }
            LeaseKeepAlive answer = client.keepAlive(id, Duration.ofNanos(left));
            expiresNanos = sent + TimeUnit.MILLISECONDS.toNanos(answer.remainingMillis());
        } catch (LatchkeyException e) {
            if (e.isNotFound() || System.nanoTime() - expiresNanos >= 0) {
                lose(e.isNotFound() ? new LatchkeyException(404, "Lease lost", "lease " + id
                        + " no longer exists (expired or revoked)", "id", e) : e);
            }
            // Otherwise: no member answered in time, but the lease still has time; the next round tries again.
        } catch (RuntimeException e) {
            lose(new LatchkeyException(0, "Lease keep-alive failed", e.toString(), null, e));
        }
    }

    private void lose(LatchkeyException reason) {
        if (ended.get() || lost != null) {
            return;
        }
        lost = reason;
        keepAlive.cancel(false);
        for (LossListener l : listeners) {
            if (listeners.remove(l)) {
                l.leaseLost(this, reason);
            }
        }
    }

    /** Stops the keep-alives and revokes the lease: its keys are deleted and its locks released. */
    public void revoke() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        keepAlive.cancel(false);
        if (lost == null) {
            try {
                client.revokeLease(id);
            } catch (LatchkeyException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
            }
        }
    }

    /** Same as {@link #revoke()}. */
    @Override
    public void close() {
        revoke();
    }

    @Override
    public String toString() {
        return "Lease[" + id + ", ttl " + ttl + (lost != null ? ", lost" : ended.get() ? ", ended" : "") + "]";
    }
}
