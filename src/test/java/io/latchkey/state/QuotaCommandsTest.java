package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

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
    void aReplicaRestoredFromASnapshotRefusesTheSamePut() {
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

    private static PutKey.Builder bigPut(String key) {
        return PutKey.newBuilder().setKey(key).setValue(ByteString.copyFrom(new byte[VALUE_BYTES]));
    }
}
