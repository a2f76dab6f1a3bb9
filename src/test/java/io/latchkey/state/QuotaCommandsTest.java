package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The state quota (etcd's --quota-backend-bytes): decided on apply, from replicated state only. */
@Tag("state")
class QuotaCommandsTest {
    private static final long ONE_EVENT_BYTES_MAX = Limits.KEY_SIZE_BYTES_MAX + Limits.VALUE_SIZE_BYTES_MAX + 64L;
    private static final StateConfig SMALL = new StateConfig(10_000, ONE_EVENT_BYTES_MAX, 3 * ONE_EVENT_BYTES_MAX);
    private static final int VALUE_BYTES = 300_000;

    private final Driver d = new Driver(SMALL);

    @Test
    void aPutBeyondTheQuotaIsRefusedAndChangesNothing_whileReadsDeletesLocksAndLeasesGoOn() {
        int stored = fillUntilRefused();
        long revision = d.view().revision();
        QuotaUsage full = d.view().quota();

        Result refused = d.put(bigPut("over"));

        assertThat(refused.getStatus()).isEqualTo(Status.NO_SPACE);
        assertThat(refused.getMessage()).contains("quota of " + SMALL.quotaBytes()).contains("latchkey.state.quota-bytes");
        assertThat(d.view().revision()).isEqualTo(revision);
        assertThat(d.view().key("over")).isEmpty();
        assertThat(d.view().quota().sizeBytes()).isEqualTo(full.sizeBytes()).isLessThanOrEqualTo(SMALL.quotaBytes());
        assertThat(d.view().quota().alarm()).isTrue();

        // What never grows keys, values or history goes on, so the cluster can be brought back.
        assertThat(d.view().key("k0")).isPresent();
        long lease = d.lease(30);
        long token = d.acquire("lock", lease, 0).getHeld().getToken();
        assertThat(d.release("lock", token).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(lease).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().quota().alarm()).as("nothing was freed yet").isTrue();

        assertThat(d.delete("k0").getStatus()).isEqualTo(Status.OK);

        assertThat(d.view().quota().alarm()).as("the state shrank").isFalse();
        assertThat(d.put(bigPut("k0")).getStatus()).isEqualTo(Status.OK);
        assertThat(stored).isGreaterThan(1);
    }

    @Test
    void leaseGrantsAndLockAcquiresBeyondTheQuotaAreRefused_whileReleasesRevokesAndDeletesGoOn() {
        long holder = d.lease(30);
        long token = d.acquire("held", holder, 0).getHeld().getToken();
        long waiter = d.lease(30);
        fillUntilRefused();
        fillWithPutsUntilRefused("small", 100);
        while (d.grant(30).getStatus() == Status.OK) {
            assertThat(d.view().quota().sizeBytes()).isLessThanOrEqualTo(SMALL.quotaBytes());
        }
        long revision = d.view().revision();
        long sizeBytes = d.view().quota().sizeBytes();

        Result grant = d.grant(30);
        Result freshLock = d.acquireWithFreshLease("new", 30, 0);
        Result queued = d.acquire("held", waiter, 60_000);

        assertThat(List.of(grant, freshLock, queued)).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(Status.NO_SPACE));
        assertThat(grant.getMessage()).contains("this lease grant needs up to").contains("quota of " + SMALL.quotaBytes());
        assertThat(freshLock.getMessage()).contains("this lock acquire needs up to").contains("release locks or revoke leases");
        assertThat(d.view().revision()).as("refusals change nothing").isEqualTo(revision);
        assertThat(d.view().quota().sizeBytes()).isEqualTo(sizeBytes);
        assertThat(d.view().lock("held").orElseThrow().getWaitersCount()).isZero();
        assertThat(d.view().quota().alarm()).isTrue();

        // What does not grow the state goes on: the holder's retried acquire, a keep-alive, a release, a revoke.
        assertThat(d.acquire("held", holder, 0).getHeld().getToken()).isEqualTo(token);
        assertThat(d.keepAlive(holder).getStatus()).isEqualTo(Status.OK);
        assertThat(d.release("held", token).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().quota().alarm()).as("the release shrank the state").isFalse();
        assertThat(d.revoke(holder).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(waiter).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().quota().sizeBytes()).isLessThan(sizeBytes);

        assertThat(d.delete("k0").getStatus()).isEqualTo(Status.OK);
        assertThat(d.acquireWithFreshLease("new", 30, 0).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void leasesAndLocksCountTheirSerializedSize_untilTheyGo() {
        long empty = d.view().quota().sizeBytes();
        long first = d.lease(30);
        long second = d.lease(30);
        long withLeases = d.view().quota().sizeBytes();
        long token = d.acquire("lock", first, 0).getHeld().getToken();
        assertThat(d.acquire("lock", second, 60_000).getStatus()).isEqualTo(Status.QUEUED);
        long withBoth = d.view().quota().sizeBytes();

        assertThat(withLeases).isGreaterThan(empty);
        assertThat(withBoth).isEqualTo(withLeases + d.view().lock("lock").orElseThrow().getSerializedSize());
        assertThat(d.restoredCopy(SMALL).view().quota().sizeBytes()).as("recomputed on restore").isEqualTo(withBoth);

        assertThat(d.release("lock", token).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(first).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(second).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().quota().sizeBytes()).isEqualTo(empty);
    }

    @Test
    void aReplicaRestoredFromASnapshotRefusesTheSamePut() {
        d.acquire("lock", d.lease(30), 0);
        fillUntilRefused();
        Driver restored = d.restoredCopy(SMALL);

        assertThat(restored.view().quota().sizeBytes()).isEqualTo(d.view().quota().sizeBytes());
        assertThat(restored.put(bigPut("over")).getStatus()).isEqualTo(Status.NO_SPACE);
        assertThat(restored.put("small", "fits?").getStatus()).isEqualTo(d.put("small", "fits?").getStatus());
    }

    @Test
    void theQuotaLeavesRoomForTheHistoryAndOneLargestKey() {
        assertThatThrownBy(() -> new StateConfig(10, 2 * ONE_EVENT_BYTES_MAX, 3 * ONE_EVENT_BYTES_MAX - 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quotaBytes must be at least");
    }

    /** Puts values until one is refused; returns how many were stored. */
    private int fillUntilRefused() {
        for (int i = 0; ; i++) {
            Result result = d.put(bigPut("k" + i));
            if (result.getStatus() == Status.NO_SPACE) {
                return i;
            }
            assertThat(result.getStatus()).isEqualTo(Status.OK);
            assertThat(d.view().quota().alarm()).isFalse();
        }
    }

    /** Puts values of {@code valueBytes} until one is refused. */
    private void fillWithPutsUntilRefused(String prefix, int valueBytes) {
        for (int i = 0; d.put(PutKey.newBuilder().setKey(prefix + i).setValue(ByteString.copyFrom(new byte[valueBytes])))
                .getStatus() == Status.OK; i++) {
            assertThat(i).isLessThan(100_000);
        }
    }

    private static PutKey.Builder bigPut(String key) {
        return PutKey.newBuilder().setKey(key).setValue(ByteString.copyFrom(new byte[VALUE_BYTES]));
    }
}
