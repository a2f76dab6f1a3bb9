package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.LockGrant;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.LockWaiter;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("state")
class LockCommandsTest {
    private final Driver d = new Driver();

    @Test
    void acquireFreeLock_grantsAtOnce_withTheGrantRevisionAsToken() {
        long lease = d.lease(10);
        Result result = d.acquire("db/primary", lease, 0);

        assertThat(result.getStatus()).isEqualTo(Status.OK);
        LockGrant held = result.getHeld();
        assertThat(held.getName()).isEqualTo("db/primary");
        assertThat(held.getLeaseId()).isEqualTo(lease);
        assertThat(held.getOwner()).isEqualTo("owner-" + lease);
        assertThat(held.getToken()).isEqualTo(result.getRevision()).isEqualTo(2);
        assertThat(held.getTicket()).isEqualTo(held.getToken());
        assertThat(d.told).containsExactly("granted db/primary to lease 1 token 2");
    }

    @Test
    void tryLock_onAHeldLock_isBusy_andQueuesNothing() {
        d.acquire("l", d.lease(10), 0);
        long revision = d.view().revision();

        Result result = d.acquire("l", d.lease(10), 0);

        assertThat(result.getStatus()).isEqualTo(Status.BUSY);
        assertThat(result.getMessage()).as("no token in an error").doesNotContainPattern("\\d");
        assertThat(d.view().lock("l").orElseThrow().getWaitersList()).isEmpty();
        assertThat(d.view().revision()).isEqualTo(revision + 1); // only the second lease's grant
    }

    @Test
    void tryLock_withAFreshLease_onAHeldLock_grantsNoLease() {
        d.acquire("l", d.lease(10), 0);
        Result result = d.acquireWithFreshLease("l", 10, 0);

        assertThat(result.getStatus()).isEqualTo(Status.BUSY);
        assertThat(d.view().lease(2, 0)).isEmpty();
    }

    @Test
    void acquireWithAFreshLease_grantsLeaseAndLockInOneCommand() {
        Result result = d.acquireWithFreshLease("l", 30, 0);

        assertThat(result.getStatus()).isEqualTo(Status.OK);
        long lease = result.getHeld().getLeaseId();
        assertThat(d.view().lease(lease, 0).orElseThrow().getTtlSeconds()).isEqualTo(30);
        assertThat(result.getHeld().getToken()).isEqualTo(2);
    }

    @Test
    void acquireWithUnknownLease_isNotFound_andWithoutLease_isInvalid() {
        assertThat(d.acquire("l", 9, 0).getStatus()).isEqualTo(Status.NOT_FOUND);
        Result noLease = d.apply(Command.newBuilder().setAcquireLock(AcquireLock.newBuilder().setName("l")));
        assertThat(noLease.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
        assertThat(noLease.getField()).isEqualTo("lease_id");
    }

    @Test
    void acquire_withBadFields_namesTheField() {
        long lease = d.lease(10);
        assertThat(d.acquire("a/../b", lease, 0).getField()).isEqualTo("name");
        assertThat(d.acquire("l", lease, Limits.LOCK_WAIT_MILLIS_MAX + 1).getField()).isEqualTo("wait_millis");
        assertThat(d.acquire("l", lease, -1).getField()).isEqualTo("wait_millis");
        assertThat(d.acquireWithFreshLease("l", 0, 0).getField()).isEqualTo("ttl_seconds");
        Result longOwner = d.apply(Command.newBuilder().setAcquireLock(AcquireLock.newBuilder()
                .setName("l").setLeaseId(lease).setOwner("o".repeat(Limits.OWNER_SIZE_BYTES_MAX + 1))));
        assertThat(longOwner.getField()).isEqualTo("owner");
        assertThat(d.view().lock("l")).isEmpty();
    }

    @Test
    void waiters_queueInFifoOrder_andReleaseHandsToTheNext() {
        long holder = d.lease(10);
        long first = d.lease(10);
        long second = d.lease(10);
        long token1 = d.acquire("l", holder, 0).getHeld().getToken();
        Result q1 = d.acquire("l", first, 1_000);
        Result q2 = d.acquire("l", second, 1_000);
        assertThat(q1.getStatus()).isEqualTo(Status.QUEUED);
        assertThat(q1.getQueued().getPosition()).isEqualTo(1);
        assertThat(q2.getQueued().getPosition()).isEqualTo(2);
        assertThat(d.view().lock("l").orElseThrow().getWaitersList()).extracting(LockWaiter::getLeaseId)
                .containsExactly(first, second);

        assertThat(d.release("l", token1).getStatus()).isEqualTo(Status.OK);
        LockGrant grant1 = d.view().lock("l").orElseThrow().getHolder();
        assertThat(grant1.getLeaseId()).isEqualTo(first);
        assertThat(grant1.getTicket()).isEqualTo(q1.getQueued().getTicket());
        assertThat(grant1.getToken()).isGreaterThan(token1);

        d.release("l", grant1.getToken());
        LockGrant grant2 = d.view().lock("l").orElseThrow().getHolder();
        assertThat(grant2.getLeaseId()).isEqualTo(second);
        assertThat(grant2.getToken()).isGreaterThan(grant1.getToken());

        d.release("l", grant2.getToken());
        assertThat(d.view().lock("l")).as("a lock without holder is free").isEmpty();
        assertThat(d.grants).extracting(LockGrant::getLeaseId).containsExactly(holder, first, second);
    }

    @Test
    void release_ofALockTakenWithATtl_revokesTheLeaseMadeForIt() {
        Result held = d.acquireWithFreshLease("l", 10, 0);
        long lease = held.getHeld().getLeaseId();

        assertThat(d.release("l", held.getHeld().getToken()).getStatus()).isEqualTo(Status.OK);

        assertThat(d.view().lease(lease, 0)).isEmpty();
        assertThat(d.told).contains("revoked lease " + lease);
    }

    @Test
    void release_keepsTheLockLease_whileAKeyOrAnotherLockUsesIt() {
        Result held = d.acquireWithFreshLease("l", 10, 0);
        long lease = held.getHeld().getLeaseId();
        d.acquire("m", lease, 0);
        d.put(PutKey.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("v")).setLeaseId(lease));

        d.release("l", held.getHeld().getToken());
        assertThat(d.view().lease(lease, 0)).isPresent();

        long m = d.view().lock("m").orElseThrow().getHolder().getToken();
        d.release("m", m);
        assertThat(d.view().lease(lease, 0)).as("the key still uses it").isPresent();
    }

    @Test
    void release_ofALockHeldByAnExistingLease_keepsTheLease() {
        long lease = d.lease(10);
        long token = d.acquire("l", lease, 0).getHeld().getToken();

        d.release("l", token);

        assertThat(d.view().lease(lease, 0)).isPresent();
    }

    @Test
    void release_withStaleToken_isNotHolder_andOfFreeLock_isNotFound() {
        long a = d.lease(10);
        long b = d.lease(10);
        long old = d.acquire("l", a, 0).getHeld().getToken();
        d.release("l", old);
        d.acquire("l", b, 0);

        Result stale = d.release("l", old);
        assertThat(stale.getStatus()).isEqualTo(Status.NOT_HOLDER);
        assertThat(stale.getField()).isEqualTo("token");
        assertThat(stale.getMessage()).as("no token in an error").doesNotContainPattern("\\d");
        assertThat(d.release("free", 5).getStatus()).isEqualTo(Status.NOT_FOUND);
        assertThat(d.release("l", 0).getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
    }

    @Test
    void revokingTheHolder_handsTheLockOn_andRevokingAWaiter_dropsIt() {
        long holder = d.lease(10);
        long waiterA = d.lease(10);
        long waiterB = d.lease(10);
        d.acquire("l", holder, 0);
        long ticketA = d.acquire("l", waiterA, 1_000).getQueued().getTicket();
        d.acquire("l", waiterB, 1_000);

        d.revoke(waiterA);
        assertThat(d.told).contains("waiter " + ticketA + " left l");
        d.revoke(holder);

        assertThat(d.view().lock("l").orElseThrow().getHolder().getLeaseId()).isEqualTo(waiterB);
        assertThat(d.view().lock("l").orElseThrow().getWaitersList()).isEmpty();
    }

    @Test
    void expiryOfTheHolder_handsTheLockToTheNextLiveWaiter() {
        d.electNewLeader();
        long holder = d.lease(5);
        long waiter = d.lease(60);
        d.acquire("l", holder, 0);
        d.acquire("l", waiter, 60_000);
        d.advanceMillis(5_000);

        assertThat(d.expireDue().getRevoked().getIdsList()).containsExactly(holder);

        assertThat(d.view().lock("l").orElseThrow().getHolder().getLeaseId()).isEqualTo(waiter);
    }

    @Test
    void reacquireByTheHolderOrAWaiter_returnsItsGrantOrPlace() {
        long holder = d.lease(10);
        long waiter = d.lease(10);
        Result first = d.acquire("l", holder, 0);
        Result queued = d.acquire("l", waiter, 100);
        long revision = d.view().revision();

        assertThat(d.acquire("l", holder, 0).getHeld()).isEqualTo(first.getHeld());
        assertThat(d.acquire("l", waiter, 0).getQueued()).isEqualTo(queued.getQueued());
        assertThat(d.view().revision()).isEqualTo(revision);
    }

    @Test
    void giveUp_removesTheWaiter_orReleasesAGrantThatBeatIt() {
        long holder = d.lease(10);
        long waiter = d.lease(10);
        long token = d.acquire("l", holder, 0).getHeld().getToken();
        long ticket = d.acquire("l", waiter, 100).getQueued().getTicket();

        assertThat(d.giveUp("l", ticket, false).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().lock("l").orElseThrow().getWaitersList()).isEmpty();
        assertThat(d.giveUp("l", ticket, false).getStatus()).isEqualTo(Status.NOT_FOUND);

        long ticket2 = d.acquire("l", waiter, 100).getQueued().getTicket();
        d.release("l", token); // the grant is applied before the give-up
        Result late = d.giveUp("l", ticket2, false);
        assertThat(late.getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().lock("l")).isEmpty();
        assertThat(d.view().lease(waiter, 0)).as("the lease was the client's own").isPresent();
    }

    @Test
    void giveUp_withRevokeLease_alsoRevokesTheFreshLease() {
        d.acquire("l", d.lease(10), 0);
        Result queued = d.acquireWithFreshLease("l", 10, 100);
        assertThat(queued.getStatus()).isEqualTo(Status.QUEUED);

        assertThat(d.giveUp("l", queued.getQueued().getTicket(), true).getStatus()).isEqualTo(Status.OK);

        assertThat(d.view().lease(queued.getQueued().getLeaseId(), 0)).isEmpty();
        assertThat(d.view().lock("l").orElseThrow().getWaitersList()).isEmpty();
    }

    @Test
    void aLockQueue_isBounded() {
        d.acquire("l", d.lease(10), 0);
        for (int i = 0; i < Limits.LOCK_WAITERS_COUNT_MAX; i++) {
            assertThat(d.acquire("l", d.lease(10), 100).getStatus()).isEqualTo(Status.QUEUED);
        }
        Result full = d.acquire("l", d.lease(10), 100);
        assertThat(full.getStatus()).isEqualTo(Status.RESOURCE_EXHAUSTED);
    }

    @Test
    void fencingTokens_increaseStrictlyAcrossAllGrantsOfAllLocks() {
        Random random = new Random(7);
        List<Long> leases = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            leases.add(d.lease(60));
        }
        for (int step = 0; step < 2_000; step++) {
            String name = "lock-" + random.nextInt(3);
            long lease = leases.get(random.nextInt(leases.size()));
            switch (random.nextInt(4)) {
                case 0, 1 -> d.acquire(name, lease, random.nextBoolean() ? 0 : 100);
                case 2 -> d.view().lock(name).ifPresent(l -> d.release(name, l.getHolder().getToken()));
                default -> {
                    if (random.nextInt(10) == 0) {
                        d.revoke(lease);
                        leases.remove(lease);
                        leases.add(d.lease(60));
                    }
                }
            }
        }
        assertThat(d.grants).hasSizeGreaterThan(100);
        for (int i = 1; i < d.grants.size(); i++) {
            assertThat(d.grants.get(i).getToken()).isGreaterThan(d.grants.get(i - 1).getToken());
        }
    }

    @Test
    void locks_listByPrefix_inNameOrder() {
        long lease = d.lease(10);
        for (String name : List.of("b/2", "a/1", "b/1", "c")) {
            d.acquire(name, lease, 0);
        }
        assertThat(d.view().locks("b/", 10)).extracting(LockState::getName).containsExactly("b/1", "b/2");
        assertThat(d.view().locks("", 2)).extracting(LockState::getName).containsExactly("a/1", "b/1");
        assertThat(d.view().lease(lease, 0).orElseThrow().getHeldLocksList()).containsExactly("a/1", "b/1", "b/2", "c");
    }
}
