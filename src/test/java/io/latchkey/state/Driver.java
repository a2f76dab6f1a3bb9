package io.latchkey.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.ExpireLeases;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.GiveUpLock;
import io.latchkey.state.proto.GrantLease;
import io.latchkey.state.proto.KeepAlive;
import io.latchkey.state.proto.LeaderStamp;
import io.latchkey.state.proto.LockGrant;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.ReleaseLock;
import io.latchkey.state.proto.RenewAllLeases;
import io.latchkey.state.proto.Requester;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.RevokeLease;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays the leader for a state machine in tests: stamps commands with a term and a lease
 * clock the test moves by hand, applies them at increasing indexes, and records what the
 * listener is told.
 */
final class Driver {
    final LatchkeyStateMachine machine;
    final List<String> told = new ArrayList<>();
    final List<LockGrant> grants = new ArrayList<>();
    final List<Event> events = new ArrayList<>();
    long term = 1;
    long clockMillis;
    /** Who the leader proposes for; null plays client auth off. */
    Requester requester;
    private long index;

    Driver() {
        this(StateConfig.DEFAULT);
    }

    Driver(StateConfig config) {
        machine = new LatchkeyStateMachine(config);
        machine.setListener(new StateListener() {
            @Override
            public void keyChanged(Event event) {
                events.add(event);
                told.add(event.getType() + " " + event.getKey() + "@" + event.getModRevision());
            }

            @Override
            public void lockGranted(LockGrant grant) {
                grants.add(grant);
                told.add("granted " + grant.getName() + " to lease " + grant.getLeaseId() + " token " + grant.getToken());
            }

            @Override
            public void waiterRemoved(String lockName, long ticket) {
                told.add("waiter " + ticket + " left " + lockName);
            }

            @Override
            public void leaseRevoked(long leaseId) {
                told.add("revoked lease " + leaseId);
            }
        });
    }

    StateView view() {
        return machine.view();
    }

    void advanceMillis(long millis) {
        clockMillis += millis;
    }

    /** A new leader takes over at the replicated clock and renews all leases first. */
    Result electNewLeader() {
        term++;
        clockMillis = view().leaseClockMillis();
        return apply(Command.newBuilder().setRenewAllLeases(RenewAllLeases.getDefaultInstance()));
    }

    Result apply(Command.Builder command) {
        return applyStamped(command, term, clockMillis);
    }

    Result applyStamped(Command.Builder command, long leaderTerm, long leaseClockMillis) {
        command.setStamp(LeaderStamp.newBuilder().setLeaderTerm(leaderTerm).setLeaseClockMillis(leaseClockMillis));
        if (requester != null) {
            command.setRequester(requester);
        }
        return applyBytes(command.build().toByteString());
    }

    Result applyBytes(ByteString bytes) {
        try {
            return Result.parseFrom(machine.apply(++index, bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    Result grant(long ttlSeconds) {
        return apply(Command.newBuilder().setGrantLease(GrantLease.newBuilder().setTtlSeconds(ttlSeconds)));
    }

    long lease(long ttlSeconds) {
        return grant(ttlSeconds).getLease().getId();
    }

    Result keepAlive(long leaseId) {
        return apply(Command.newBuilder().setKeepAlive(KeepAlive.newBuilder().setLeaseId(leaseId)));
    }

    Result revoke(long leaseId) {
        return apply(Command.newBuilder().setRevokeLease(RevokeLease.newBuilder().setLeaseId(leaseId)));
    }

    /** What the leader does on its expiry timer. */
    Result expireDue() {
        return expire(view().expiredLeases(clockMillis));
    }

    Result expire(List<Long> leaseIds) {
        return apply(Command.newBuilder().setExpireLeases(ExpireLeases.newBuilder().addAllLeaseIds(leaseIds)));
    }

    Result acquire(String name, long leaseId, long waitMillis) {
        return apply(Command.newBuilder().setAcquireLock(AcquireLock.newBuilder()
                .setName(name).setLeaseId(leaseId).setWaitMillis(waitMillis).setOwner("owner-" + leaseId)));
    }

    Result acquireWithFreshLease(String name, long ttlSeconds, long waitMillis) {
        return apply(Command.newBuilder().setAcquireLock(AcquireLock.newBuilder()
                .setName(name).setTtlSeconds(ttlSeconds).setWaitMillis(waitMillis).setOwner("fresh")));
    }

    Result release(String name, long token) {
        return apply(Command.newBuilder().setReleaseLock(ReleaseLock.newBuilder().setName(name).setToken(token)));
    }

    Result giveUp(String name, long ticket, boolean revokeLease) {
        return apply(Command.newBuilder().setGiveUpLock(GiveUpLock.newBuilder()
                .setName(name).setTicket(ticket).setRevokeLease(revokeLease)));
    }

    Result put(String key, String value) {
        return put(PutKey.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value)));
    }

    Result put(PutKey.Builder put) {
        return apply(Command.newBuilder().setPutKey(put));
    }

    Result putIfModRevision(String key, String value, long expectedModRevision) {
        return put(PutKey.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value))
                .setExpectedModRevision(expectedModRevision));
    }

    Result putFenced(String key, String value, String lock, long token) {
        return put(PutKey.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value))
                .setFence(Fence.newBuilder().setLock(lock).setToken(token)));
    }

    Result delete(String key) {
        return delete(DeleteKey.newBuilder().setKey(key));
    }

    Result delete(DeleteKey.Builder delete) {
        return apply(Command.newBuilder().setDeleteKey(delete));
    }

    byte[] snapshot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            machine.writeSnapshot(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A fresh replica restored from this one's snapshot, with the same leader and clock. */
    Driver restoredCopy(StateConfig config) {
        Driver copy = new Driver(config);
        try {
            copy.machine.restoreSnapshot(new ByteArrayInputStream(snapshot()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        copy.term = term;
        copy.clockMillis = clockMillis;
        copy.index = index;
        return copy;
    }
}
