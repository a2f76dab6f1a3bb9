package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.GiveUpLock;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Status;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The dumb twin of {@link LatchkeyStateMachine}: the rules written out plainly over
 * unsorted lists and linear scans, with no indexes to keep in step. It answers each command
 * with a status and renders its state in the machine's snapshot shape for comparison.
 */
final class ReferenceModel {
    static final class Lease {
        final long id;
        final long ttlSeconds;
        /** Granted by an acquire with a TTL: revoked by the lock's release when nothing else uses it. */
        final boolean forLock;
        long expiresAtMillis;

        Lease(long id, long ttlSeconds, boolean forLock, long expiresAtMillis) {
            this.id = id;
            this.ttlSeconds = ttlSeconds;
            this.forLock = forLock;
            this.expiresAtMillis = expiresAtMillis;
        }
    }

    record Key(String key, ByteString value, long createRevision, long modRevision, long version, long leaseId) {
    }

    record Waiter(long ticket, long leaseId, String owner) {
    }

    static final class Lock {
        final String name;
        long leaseId;
        String owner;
        long token;
        long ticket;
        final List<Waiter> waiters = new ArrayList<>();

        Lock(String name) {
            this.name = name;
        }
    }

    long revision;
    long lastLeaseId;
    long clockMillis;
    long leaseTerm;
    final List<Lease> leases = new ArrayList<>();
    final List<Key> keys = new ArrayList<>();
    final List<Lock> locks = new ArrayList<>();

    Status apply(Command command) {
        long term = command.getStamp().getLeaderTerm();
        if (term >= leaseTerm) {
            clockMillis = Math.max(clockMillis, command.getStamp().getLeaseClockMillis());
        }
        return switch (command.getOpCase()) {
            case GRANT_LEASE -> {
                if (badTtl(command.getGrantLease().getTtlSeconds())) {
                    yield Status.INVALID_ARGUMENT;
                }
                grantLease(command.getGrantLease().getTtlSeconds(), false);
                yield Status.OK;
            }
            case KEEP_ALIVE -> {
                Lease lease = lease(command.getKeepAlive().getLeaseId());
                if (command.getKeepAlive().getLeaseId() <= 0) {
                    yield Status.INVALID_ARGUMENT;
                }
                if (lease == null) {
                    yield Status.NOT_FOUND;
                }
                lease.expiresAtMillis = Math.max(lease.expiresAtMillis, clockMillis + lease.ttlSeconds * 1000);
                yield Status.OK;
            }
            case REVOKE_LEASE -> {
                long id = command.getRevokeLease().getLeaseId();
                if (id <= 0) {
                    yield Status.INVALID_ARGUMENT;
                }
                if (lease(id) == null) {
                    yield Status.NOT_FOUND;
                }
                revoke(id);
                yield Status.OK;
            }
            case RENEW_ALL_LEASES -> {
                if (term == 0) {
                    yield Status.INVALID_ARGUMENT;
                }
                if (term < leaseTerm) {
                    yield Status.STALE_LEADER;
                }
                leaseTerm = term;
                for (Lease lease : leases) {
                    lease.expiresAtMillis = Math.max(lease.expiresAtMillis, clockMillis + lease.ttlSeconds * 1000);
                }
                yield Status.OK;
            }
            case EXPIRE_LEASES -> {
                if (term == 0 || term != leaseTerm) {
                    yield Status.STALE_LEADER;
                }
                for (long id : command.getExpireLeases().getLeaseIdsList()) {
                    Lease lease = lease(id);
                    if (lease != null && lease.expiresAtMillis <= clockMillis) {
                        revoke(id);
                    }
                }
                yield Status.OK;
            }
            case ACQUIRE_LOCK -> acquire(command.getAcquireLock());
            case RELEASE_LOCK -> {
                String name = command.getReleaseLock().getName();
                if (badName(name) || command.getReleaseLock().getToken() <= 0) {
                    yield Status.INVALID_ARGUMENT;
                }
                Lock lock = lock(name);
                if (lock == null) {
                    yield Status.NOT_FOUND;
                }
                if (lock.token != command.getReleaseLock().getToken()) {
                    yield Status.NOT_HOLDER;
                }
                long leaseId = lock.leaseId;
                release(lock);
                boolean used = keys.stream().anyMatch(k -> k.leaseId() == leaseId)
                        || locks.stream().anyMatch(l -> l.leaseId == leaseId
                        || l.waiters.stream().anyMatch(w -> w.leaseId() == leaseId));
                if (lease(leaseId).forLock && !used) {
                    revoke(leaseId);
                }
                yield Status.OK;
            }
            case GIVE_UP_LOCK -> giveUp(command.getGiveUpLock());
            case PUT_KEY -> put(command.getPutKey());
            case DELETE_KEY -> delete(command.getDeleteKey());
            case OP_NOT_SET -> Status.INVALID_ARGUMENT;
        };
    }

    private Status acquire(AcquireLock acquire) {
        boolean fresh = acquire.getLeaseCase() == AcquireLock.LeaseCase.TTL_SECONDS;
        if (badName(acquire.getName()) || acquire.getWaitMillis() < 0 || acquire.getWaitMillis() > 300_000
                || acquire.getLeaseCase() == AcquireLock.LeaseCase.LEASE_NOT_SET
                || (fresh && badTtl(acquire.getTtlSeconds())) || (!fresh && acquire.getLeaseId() <= 0)) {
            return Status.INVALID_ARGUMENT;
        }
        if (!fresh && lease(acquire.getLeaseId()) == null) {
            return Status.NOT_FOUND;
        }
        long requester = fresh ? 0 : acquire.getLeaseId();
        Lock lock = lock(acquire.getName());
        boolean known = lock != null
                && (lock.leaseId == requester || lock.waiters.stream().anyMatch(w -> w.leaseId() == requester));
        if (lock != null && !known) {
            if (acquire.getWaitMillis() == 0) {
                return Status.BUSY;
            }
            if (lock.waiters.size() >= Limits.LOCK_WAITERS_COUNT_MAX) {
                return Status.RESOURCE_EXHAUSTED;
            }
        }
        long leaseId = fresh ? grantLease(acquire.getTtlSeconds(), true) : requester;
        if (lock == null) {
            lock = new Lock(acquire.getName());
            locks.add(lock);
            lock.leaseId = leaseId;
            lock.owner = acquire.getOwner();
            lock.token = ++revision;
            lock.ticket = lock.token;
            return Status.OK;
        }
        if (lock.leaseId == leaseId) {
            return Status.OK;
        }
        for (Waiter waiter : lock.waiters) {
            if (waiter.leaseId() == leaseId) {
                return Status.QUEUED;
            }
        }
        lock.waiters.add(new Waiter(++revision, leaseId, acquire.getOwner()));
        return Status.QUEUED;
    }

    private Status giveUp(GiveUpLock giveUp) {
        if (badName(giveUp.getName()) || giveUp.getTicket() <= 0) {
            return Status.INVALID_ARGUMENT;
        }
        Lock lock = lock(giveUp.getName());
        if (lock == null) {
            return Status.NOT_FOUND;
        }
        Waiter waiter = lock.waiters.stream().filter(w -> w.ticket() == giveUp.getTicket()).findFirst().orElse(null);
        if (lock.ticket != giveUp.getTicket() && waiter == null) {
            return Status.NOT_FOUND;
        }
        if (giveUp.getRevokeLease()) {
            revoke(waiter == null ? lock.leaseId : waiter.leaseId());
        } else if (waiter == null) {
            release(lock);
        } else {
            revision++;
            lock.waiters.remove(waiter);
        }
        return Status.OK;
    }

    private Status put(PutKey put) {
        if (badName(put.getKey()) || put.getValue().size() > Limits.VALUE_SIZE_BYTES_MAX
                || (put.hasExpectedModRevision() && put.getExpectedModRevision() < 0) || put.getLeaseId() < 0
                || (put.hasFence() && badFence(put.getFence()))) {
            return Status.INVALID_ARGUMENT;
        }
        if (put.hasFence() && !fenceHolds(put.getFence())) {
            return Status.PRECONDITION_FAILED;
        }
        Key old = key(put.getKey());
        if (put.hasExpectedModRevision() && (old == null ? 0 : old.modRevision()) != put.getExpectedModRevision()) {
            return Status.PRECONDITION_FAILED;
        }
        if (put.getLeaseId() != 0 && lease(put.getLeaseId()) == null) {
            return Status.NOT_FOUND;
        }
        long rev = ++revision;
        keys.remove(old);
        keys.add(new Key(put.getKey(), put.getValue(), old == null ? rev : old.createRevision(), rev,
                old == null ? 1 : old.version() + 1, put.getLeaseId()));
        return Status.OK;
    }

    private Status delete(DeleteKey delete) {
        if (badName(delete.getKey()) || (delete.hasExpectedModRevision() && delete.getExpectedModRevision() < 0)
                || (delete.hasFence() && badFence(delete.getFence()))) {
            return Status.INVALID_ARGUMENT;
        }
        if (delete.hasFence() && !fenceHolds(delete.getFence())) {
            return Status.PRECONDITION_FAILED;
        }
        Key old = key(delete.getKey());
        if (delete.hasExpectedModRevision() && (old == null ? 0 : old.modRevision()) != delete.getExpectedModRevision()) {
            return Status.PRECONDITION_FAILED;
        }
        if (old == null) {
            return Status.NOT_FOUND;
        }
        keys.remove(old);
        revision++;
        return Status.OK;
    }

    private long grantLease(long ttlSeconds, boolean forLock) {
        revision++;
        leases.add(new Lease(++lastLeaseId, ttlSeconds, forLock, clockMillis + ttlSeconds * 1000));
        return lastLeaseId;
    }

    private void revoke(long leaseId) {
        revision++;
        leases.remove(lease(leaseId));
        for (String key : keys.stream().filter(k -> k.leaseId() == leaseId).map(Key::key).sorted().toList()) {
            keys.remove(key(key));
            revision++;
        }
        for (Lock lock : locks.stream().sorted((a, b) -> a.name.compareTo(b.name)).toList()) {
            if (lock.leaseId == leaseId) {
                release(lock);
            }
            for (Waiter waiter : List.copyOf(lock.waiters)) {
                if (waiter.leaseId() == leaseId) {
                    revision++;
                    lock.waiters.remove(waiter);
                }
            }
        }
    }

    private void release(Lock lock) {
        revision++;
        if (lock.waiters.isEmpty()) {
            locks.remove(lock);
            return;
        }
        Waiter next = lock.waiters.removeFirst();
        lock.leaseId = next.leaseId();
        lock.owner = next.owner();
        lock.ticket = next.ticket();
        lock.token = ++revision;
    }

    private boolean fenceHolds(Fence fence) {
        Lock lock = lock(fence.getLock());
        return lock != null && lock.token == fence.getToken();
    }

    private static boolean badFence(Fence fence) {
        return badName(fence.getLock()) || fence.getToken() <= 0;
    }

    private static boolean badTtl(long ttlSeconds) {
        return ttlSeconds < 1 || ttlSeconds > 3600;
    }

    /** The random commands use plain ASCII names, so this is the only rule they can break. */
    private static boolean badName(String name) {
        return name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 512
                || ("/" + name + "/").contains("/../");
    }

    private Lease lease(long id) {
        return leases.stream().filter(l -> l.id == id).findFirst().orElse(null);
    }

    private Key key(String key) {
        return keys.stream().filter(k -> k.key().equals(key)).findFirst().orElse(null);
    }

    private Lock lock(String name) {
        return locks.stream().filter(l -> l.name.equals(name)).findFirst().orElse(null);
    }
}
