package io.latchkey.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.node.StateMachine;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.ExpireLeases;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.GiveUpLock;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.KeyWritten;
import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LeaseIds;
import io.latchkey.state.proto.LeaseInfo;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.StateSnapshot;
import io.latchkey.state.proto.Status;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Latchkey's replicated state: config keys, leases and locks. {@link #apply} decodes a
 * {@link Command}, applies it and returns the encoded {@link Result}; reads go through
 * {@link #view()}. Single-threaded: every method is called on the replica's loop thread.
 *
 * <p>A command either changes the state as documented or, when its result is not OK or QUEUED,
 * changes nothing but the lease clock (its stamp is still the leader's time). Every check comes
 * before the first change.
 */
public final class LatchkeyStateMachine implements StateMachine {
    private final RevisionCounter revisions = new RevisionCounter();
    private final Notifications notifications = new Notifications();
    private final WatchHistory history;
    private final KeySpace keys;
    private final LeaseTable leases = new LeaseTable();
    private final LockTable locks;
    private final StateView view;
    private final long quotaBytes;
    /**
     * The state size when a write was last refused for the quota, or -1: the alarm is on until
     * the state shrinks below it. Not in the snapshot: it changes no command's outcome, only
     * what health and metrics show, and every replica that applies the same entries agrees.
     */
    private long quotaAlarmSizeBytes = -1;
    private StateListener listener = StateListener.NONE;

    public LatchkeyStateMachine(StateConfig config) {
        this.quotaBytes = config.quotaBytes();
        this.history = new WatchHistory(config);
        this.keys = new KeySpace(revisions, history, notifications);
        this.locks = new LockTable(revisions, notifications);
        this.view = new StateView(revisions, keys, leases, locks, history,
                () -> new QuotaUsage(sizeBytes(), quotaBytes, quotaAlarmSizeBytes >= 0));
    }

    /** The read side, for the REST layer after a read barrier and for the leader's expiry scan. */
    public StateView view() {
        return view;
    }

    /** Replaces the listener told about applied changes; see {@link StateListener}'s contract. */
    public void setListener(StateListener listener) {
        this.listener = listener;
    }

    /** What the quota counts: serialized keys, values, history, leases and locks. */
    private long sizeBytes() {
        return keys.sizeBytes() + history.sizeBytes() + leases.sizeBytes() + locks.sizeBytes();
    }

    /**
     * NO_SPACE, raising the alarm, when growing the state by up to {@code growthBytes} would
     * pass the quota; else null. Only writes that grow the state ask: deletes, releases and
     * revokes never do, so they can always bring the state back under the quota.
     */
    private Result.Builder beyondQuota(String write, String field, long growthBytes) {
        if (sizeBytes() + growthBytes <= quotaBytes) {
            return null;
        }
        quotaAlarmSizeBytes = sizeBytes();
        return Result.newBuilder().setStatus(Status.NO_SPACE).setField(field)
                .setMessage("the state holds " + sizeBytes() + " bytes of keys, values, history, leases and locks; this "
                        + write + " needs up to " + growthBytes + " more, beyond the quota of " + quotaBytes
                        + " bytes: delete keys, release locks or revoke leases to make room, or raise "
                        + "latchkey.state.quota-bytes on every member");
    }

    private static String subjectOf(Command command) {
        return command.hasRequester() ? command.getRequester().getSubject() : "";
    }

    /** Listener calls that threw; each is a listener bug (for metrics). */
    public long listenerFailureCount() {
        return notifications.failureCount();
    }

    @Override
    public ByteString apply(long index, ByteString commandBytes) {
        Result.Builder result;
        try {
            Command command = Command.parseFrom(commandBytes);
            leases.observe(command.getStamp());
            result = dispatch(command);
        } catch (InvalidProtocolBufferException e) {
            result = invalid("command", "command at index " + index + " does not decode: " + e.getMessage());
        }
        result.setRevision(revisions.current());
        if (quotaAlarmSizeBytes >= 0 && sizeBytes() < quotaAlarmSizeBytes) {
            quotaAlarmSizeBytes = -1;
        }
        notifications.deliver(listener);
        return result.build().toByteString();
    }

    private Result.Builder dispatch(Command command) {
        return switch (command.getOpCase()) {
            case GRANT_LEASE -> grantLease(command.getGrantLease().getTtlSeconds(), command);
            case KEEP_ALIVE -> keepAlive(command.getKeepAlive().getLeaseId(), command);
            case REVOKE_LEASE -> revokeLease(command.getRevokeLease().getLeaseId(), command);
            case RENEW_ALL_LEASES -> renewAllLeases(command.getStamp().getLeaderTerm());
            case EXPIRE_LEASES -> expireLeases(command.getStamp().getLeaderTerm(), command.getExpireLeases());
            case ACQUIRE_LOCK -> acquireLock(command.getAcquireLock(), command);
            case RELEASE_LOCK -> releaseLock(command.getReleaseLock().getName(), command.getReleaseLock().getToken(),
                    command);
            case GIVE_UP_LOCK -> giveUpLock(command.getGiveUpLock());
            case PUT_KEY -> putKey(command.getPutKey(), command);
            case DELETE_KEY -> deleteKey(command.getDeleteKey());
            case OP_NOT_SET -> invalid("op", "command names no operation");
        };
    }

    // ------------------------------------------------------------------ leases

    private Result.Builder grantLease(long ttlSeconds, Command command) {
        Optional<Violation> violation = Limits.checkTtlSeconds("ttl_seconds", ttlSeconds);
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        Result.Builder full = beyondQuota("lease grant", "", leases.grantSizeBytes(ttlSeconds, false, subjectOf(command)));
        if (full != null) {
            return full;
        }
        Lease lease = grantLeaseUnchecked(ttlSeconds, false, command);
        return ok().setLease(leaseSummary(lease));
    }

    private Result.Builder keepAlive(long leaseId, Command command) {
        Optional<Violation> violation = Limits.checkPositive("lease_id", leaseId);
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        if (!leases.exists(leaseId)) {
            return leaseNotFound("lease_id", leaseId);
        }
        if (!mayUse(command, leaseId)) {
            return notOwner("lease_id", "lease " + leaseId);
        }
        return ok().setLease(leaseSummary(leases.keepAlive(leaseId)));
    }

    private Result.Builder revokeLease(long leaseId, Command command) {
        Optional<Violation> violation = Limits.checkPositive("lease_id", leaseId);
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        if (!leases.exists(leaseId)) {
            return leaseNotFound("lease_id", leaseId);
        }
        if (!mayUse(command, leaseId)) {
            return notOwner("lease_id", "lease " + leaseId);
        }
        revokeLeaseUnchecked(leaseId);
        return ok();
    }

    private Result.Builder renewAllLeases(long leaderTerm) {
        if (leaderTerm == 0) {
            return invalid("stamp.leader_term", "stamp.leader_term must be set on RenewAllLeases");
        }
        if (leaderTerm < leases.leaseTerm()) {
            return staleLeader(leaderTerm);
        }
        leases.renewAll(leaderTerm);
        return ok();
    }

    /**
     * Revokes the listed leases that are still due by the replicated clock, which this
     * command's stamp has just advanced. Only the leader that renewed every lease may expire
     * them: a deposed leader's late entry, or a new leader that skipped the renewal, is refused.
     */
    private Result.Builder expireLeases(long leaderTerm, ExpireLeases expire) {
        if (expire.getLeaseIdsCount() > Limits.EXPIRE_BATCH_LEASES_MAX) {
            return invalid("lease_ids", "lease_ids has " + expire.getLeaseIdsCount() + " ids, more than "
                    + Limits.EXPIRE_BATCH_LEASES_MAX);
        }
        if (leaderTerm == 0 || leaderTerm != leases.leaseTerm()) {
            return staleLeader(leaderTerm);
        }
        LeaseIds.Builder revoked = LeaseIds.newBuilder();
        for (long leaseId : expire.getLeaseIdsList()) {
            Lease lease = leases.get(leaseId);
            if (lease != null && leases.expired(lease, leases.clockMillis())) {
                revokeLeaseUnchecked(leaseId);
                revoked.addIds(leaseId);
            }
        }
        return ok().setRevoked(revoked);
    }

    private Lease grantLeaseUnchecked(long ttlSeconds, boolean forLock, Command command) {
        revisions.next();
        return leases.grant(ttlSeconds, forLock, subjectOf(command));
    }

    /**
     * Whether the command's requester may act with the lease: always with client auth off (no
     * requester), else as an admin, as the lease's subject, or on a lease granted with auth off.
     * Decided here, from replicated state only, so every replica decides alike.
     */
    private boolean mayUse(Command command, long leaseId) {
        if (!command.hasRequester() || command.getRequester().getAdmin()) {
            return true;
        }
        String owner = leases.get(leaseId).getSubject();
        return owner.isEmpty() || owner.equals(command.getRequester().getSubject());
    }

    /** The revoke takes a revision, then its keys go (in key order), then its locks (in name order). */
    private void revokeLeaseUnchecked(long leaseId) {
        revisions.next();
        leases.remove(leaseId);
        for (String key : keys.keysOf(leaseId)) {
            keys.delete(key);
        }
        locks.dropLease(leaseId);
        notifications.add(l -> l.leaseRevoked(leaseId));
    }

    private LeaseInfo leaseSummary(Lease lease) {
        return LeaseInfo.newBuilder().setId(lease.getId()).setTtlSeconds(lease.getTtlSeconds())
                .setRemainingMillis(LeaseTable.remainingMillis(lease, leases.clockMillis())).build();
    }

    // ------------------------------------------------------------------ locks

    private Result.Builder acquireLock(AcquireLock acquire, Command command) {
        Optional<Violation> violation = Limits.checkLockName("name", acquire.getName())
                .or(() -> Limits.checkOwner("owner", acquire.getOwner()))
                .or(() -> Limits.checkWaitMillis("wait_millis", acquire.getWaitMillis()))
                .or(() -> switch (acquire.getLeaseCase()) {
                    case LEASE_ID -> Limits.checkPositive("lease_id", acquire.getLeaseId());
                    case TTL_SECONDS -> Limits.checkTtlSeconds("ttl_seconds", acquire.getTtlSeconds());
                    case LEASE_NOT_SET -> Optional.of(new Violation("lease_id", "lease_id or ttl_seconds must be set"));
                });
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        boolean freshLease = acquire.getLeaseCase() == AcquireLock.LeaseCase.TTL_SECONDS;
        if (!freshLease && !leases.exists(acquire.getLeaseId())) {
            return leaseNotFound("lease_id", acquire.getLeaseId());
        }
        if (!freshLease && !mayUse(command, acquire.getLeaseId())) {
            return notOwner("lease_id", "lease " + acquire.getLeaseId());
        }
        Result.Builder refusal = locks.refusal(acquire.getName(), freshLease ? 0 : acquire.getLeaseId(),
                acquire.getWaitMillis());
        if (refusal != null) {
            return refusal;
        }
        // A fresh lease takes the next id and a revision before the grant or ticket takes another.
        long growthBytes = locks.acquireGrowthBytesMax(acquire.getName(),
                freshLease ? leases.lastLeaseId() + 1 : acquire.getLeaseId(), acquire.getOwner(), revisions.current() + 2)
                + (freshLease ? leases.grantSizeBytes(acquire.getTtlSeconds(), true, subjectOf(command)) : 0);
        Result.Builder full = beyondQuota("lock acquire", "", growthBytes);
        if (full != null) {
            return full;
        }
        long leaseId = freshLease ? grantLeaseUnchecked(acquire.getTtlSeconds(), true, command).getId() : acquire.getLeaseId();
        return locks.acquire(acquire.getName(), leaseId, acquire.getOwner());
    }

    /**
     * Releases the grant; a lease the acquire made for this lock goes with it once nothing
     * else uses it, so a lock taken with a TTL leaves no lease behind for the leader to expire.
     */
    private Result.Builder releaseLock(String name, long token, Command command) {
        Optional<Violation> violation = Limits.checkLockName("name", name)
                .or(() -> Limits.checkPositive("token", token));
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        long leaseId = locks.holderLease(name, token);
        if (leaseId != 0 && !mayUse(command, leaseId)) {
            return notOwner("token", "the holder of lock " + name);
        }
        Result.Builder result = locks.release(name, token);
        if (result.getStatus() == Status.OK) {
            Lease lease = leases.get(leaseId);
            if (lease.getForLock() && keys.keysOf(leaseId).isEmpty() && !locks.usedBy(leaseId)) {
                revokeLeaseUnchecked(leaseId);
            }
        }
        return result;
    }

    private Result.Builder giveUpLock(GiveUpLock giveUp) {
        Optional<Violation> violation = Limits.checkLockName("name", giveUp.getName())
                .or(() -> Limits.checkPositive("ticket", giveUp.getTicket()));
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        long leaseId = locks.ticketLease(giveUp.getName(), giveUp.getTicket());
        if (leaseId == 0) {
            return Result.newBuilder().setStatus(Status.NOT_FOUND).setField("ticket")
                    .setMessage("ticket " + giveUp.getTicket() + " neither holds nor awaits lock " + giveUp.getName());
        }
        if (giveUp.getRevokeLease()) {
            revokeLeaseUnchecked(leaseId);
            return ok();
        }
        return locks.giveUp(giveUp.getName(), giveUp.getTicket());
    }

    // ------------------------------------------------------------------ keys

    private Result.Builder putKey(PutKey put, Command command) {
        Optional<Violation> violation = Limits.checkKey("key", put.getKey())
                .or(() -> Limits.checkValue("value", put.getValue()))
                .or(() -> put.hasExpectedModRevision()
                        ? Limits.checkExpectedRevision("expected_mod_revision", put.getExpectedModRevision())
                        : Optional.empty())
                .or(() -> put.getLeaseId() < 0 ? Limits.checkPositive("lease_id", put.getLeaseId()) : Optional.empty())
                .or(() -> put.hasFence() ? checkFenceFields(put.getFence()) : Optional.empty());
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        Result.Builder failed = failedPrecondition(put.getKey(), put.hasFence() ? put.getFence() : null,
                put.hasExpectedModRevision() ? put.getExpectedModRevision() : null);
        if (failed != null) {
            return failed;
        }
        if (put.getLeaseId() != 0 && !leases.exists(put.getLeaseId())) {
            return leaseNotFound("lease_id", put.getLeaseId());
        }
        if (put.getLeaseId() != 0 && !mayUse(command, put.getLeaseId())) {
            return notOwner("lease_id", "lease " + put.getLeaseId());
        }
        Result.Builder full = beyondQuota("put", "value", keys.putGrowthBytesMax(put.getKey(), put.getValue(), put.getLeaseId()));
        if (full != null) {
            return full;
        }
        KeyValue kv = keys.put(put.getKey(), put.getValue(), put.getLeaseId());
        return ok().setWritten(KeyWritten.newBuilder().setKey(kv.getKey())
                .setRevision(kv.getModRevision()).setVersion(kv.getVersion()));
    }

    private Result.Builder deleteKey(DeleteKey delete) {
        Optional<Violation> violation = Limits.checkKey("key", delete.getKey())
                .or(() -> delete.hasExpectedModRevision()
                        ? Limits.checkExpectedRevision("expected_mod_revision", delete.getExpectedModRevision())
                        : Optional.empty())
                .or(() -> delete.hasFence() ? checkFenceFields(delete.getFence()) : Optional.empty());
        if (violation.isPresent()) {
            return invalid(violation.get());
        }
        Result.Builder failed = failedPrecondition(delete.getKey(), delete.hasFence() ? delete.getFence() : null,
                delete.hasExpectedModRevision() ? delete.getExpectedModRevision() : null);
        if (failed != null) {
            return failed;
        }
        if (keys.get(delete.getKey()) == null) {
            return Result.newBuilder().setStatus(Status.NOT_FOUND).setField("key")
                    .setMessage("key " + delete.getKey() + " does not exist");
        }
        long revision = keys.delete(delete.getKey());
        return ok().setWritten(KeyWritten.newBuilder().setKey(delete.getKey()).setRevision(revision));
    }

    private static Optional<Violation> checkFenceFields(Fence fence) {
        return Limits.checkLockName("fence.lock", fence.getLock())
                .or(() -> Limits.checkPositive("fence.token", fence.getToken()));
    }

    /**
     * The fence first, then the CAS: a writer whose lock was lost should learn that, not that
     * someone else's write moved the revision. Null when both hold.
     */
    private Result.Builder failedPrecondition(String key, Fence fence, Long expectedModRevision) {
        if (fence != null) {
            long holderToken = locks.holderToken(fence.getLock());
            if (holderToken != fence.getToken()) {
                // No token in the text: an error must not hand out the holder's token (nor echo the caller's).
                String holder = holderToken == 0 ? "is free" : "is held by another grant";
                return Result.newBuilder().setStatus(Status.PRECONDITION_FAILED).setField("fence.token")
                        .setMessage("the token given does not hold lock " + fence.getLock() + ", which " + holder);
            }
        }
        if (expectedModRevision != null) {
            long modRevision = keys.modRevision(key);
            if (modRevision != expectedModRevision) {
                Supplier<String> actual = () -> modRevision == 0 ? "does not exist" : "has mod revision " + modRevision;
                return Result.newBuilder().setStatus(Status.PRECONDITION_FAILED).setField("expected_mod_revision")
                        .setMessage("expected mod revision " + expectedModRevision + " but key " + key + " "
                                + actual.get());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ results

    private static Result.Builder ok() {
        return Result.newBuilder().setStatus(Status.OK);
    }

    private static Result.Builder invalid(Violation violation) {
        return invalid(violation.field(), violation.message());
    }

    private static Result.Builder invalid(String field, String message) {
        return Result.newBuilder().setStatus(Status.INVALID_ARGUMENT).setField(field).setMessage(message);
    }

    private static Result.Builder leaseNotFound(String field, long leaseId) {
        return Result.newBuilder().setStatus(Status.NOT_FOUND).setField(field)
                .setMessage("lease " + leaseId + " does not exist");
    }

    /** No subject in the text: which subject owns what is not the refused caller's business. */
    private static Result.Builder notOwner(String field, String what) {
        return Result.newBuilder().setStatus(Status.NOT_OWNER).setField(field)
                .setMessage(what + " belongs to another subject");
    }

    private Result.Builder staleLeader(long leaderTerm) {
        return Result.newBuilder().setStatus(Status.STALE_LEADER).setField("stamp.leader_term")
                .setMessage("leader term " + leaderTerm + " is not the lease term " + leases.leaseTerm());
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * One StateSnapshot message. Protobuf writes fields in number order and repeated fields in
     * list order; every list comes from a sorted map, and no proto map fields are used, so
     * equal states give equal bytes.
     */
    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        captureSnapshot().writeTo(out);
    }

    /** The state as of now, serialized later and elsewhere (see {@link StateImage}); on the loop. */
    @Override
    public StateImage captureSnapshot() {
        StateSnapshot scalars = StateSnapshot.newBuilder()
                .setRevision(revisions.current())
                .setLastLeaseId(leases.lastLeaseId())
                .setLeaseClockMillis(leases.clockMillis())
                .setLeaseTerm(leases.leaseTerm())
                .setHistoryCompactedRevision(history.compactedRevision())
                .build();
        return new StateImage(scalars, List.copyOf(keys.all()), List.copyOf(leases.all()), List.copyOf(locks.all()),
                List.copyOf(history.events()));
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        StateSnapshotReader.Read snapshot = StateSnapshotReader.read(in);
        StateSnapshot scalars = snapshot.scalars();
        revisions.reset(scalars.getRevision());
        leases.restore(scalars.getLastLeaseId(), scalars.getLeaseClockMillis(), scalars.getLeaseTerm(), snapshot.leases());
        keys.restore(snapshot.keys());
        locks.restore(snapshot.locks());
        history.restore(scalars.getHistoryCompactedRevision(), snapshot.history());
        notifications.discard();
    }
}
