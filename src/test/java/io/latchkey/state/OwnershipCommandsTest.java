package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Requester;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A lease belongs to the subject that granted it; the state machine refuses other subjects. */
@Tag("state")
class OwnershipCommandsTest {
    private static final Requester ALICE = Requester.newBuilder().setSubject("alice").build();
    private static final Requester BOB = Requester.newBuilder().setSubject("bob").build();
    private static final Requester ROOT = Requester.newBuilder().setSubject("root").setAdmin(true).build();

    private final Driver d = new Driver();

    private long aliceLease() {
        d.requester = ALICE;
        return d.lease(10);
    }

    private static void assertNotOwner(Result result, String field) {
        assertThat(result.getStatus()).isEqualTo(Status.NOT_OWNER);
        assertThat(result.getField()).isEqualTo(field);
        assertThat(result.getMessage()).doesNotContain("alice").doesNotContainPattern("\\d{2,}");
    }

    @Test
    void anotherSubject_cannotKeepAliveOrRevoke_andNothingChanges() {
        long lease = aliceLease();
        long revision = d.view().revision();
        d.advanceMillis(5_000);
        d.requester = BOB;

        assertNotOwner(d.keepAlive(lease), "lease_id");
        assertNotOwner(d.revoke(lease), "lease_id");

        assertThat(d.view().lease(lease, d.clockMillis).orElseThrow().getRemainingMillis()).isEqualTo(5_000);
        assertThat(d.view().revision()).isEqualTo(revision);
    }

    @Test
    void theOwnerAndAnAdmin_mayKeepAliveAndRevoke() {
        long lease = aliceLease();
        assertThat(d.keepAlive(lease).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(lease).getStatus()).isEqualTo(Status.OK);

        long other = aliceLease();
        d.requester = ROOT;
        assertThat(d.keepAlive(other).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(other).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void anotherSubject_cannotLockWithTheLease() {
        long lease = aliceLease();
        d.requester = BOB;
        assertNotOwner(d.acquire("db", lease, 0), "lease_id");
        assertThat(d.view().lock("db")).isEmpty();

        d.requester = ROOT;
        assertThat(d.acquire("db", lease, 0).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void anotherSubject_cannotAttachAKeyToTheLease() {
        long lease = aliceLease();
        d.requester = BOB;
        assertNotOwner(d.put(PutKey.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("v")).setLeaseId(lease)),
                "lease_id");
        assertThat(d.view().key("k")).isEmpty();

        d.requester = ALICE;
        assertThat(d.put(PutKey.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("v")).setLeaseId(lease))
                .getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void onlyTheHoldersSubjectOrAnAdmin_mayRelease_andOnlyWithTheRightToken() {
        d.requester = ALICE;
        long token = d.acquireWithFreshLease("db", 10, 0).getHeld().getToken();
        long lease = d.view().lock("db").orElseThrow().getHolder().getLeaseId();
        assertThat(d.view().leaseSubject(lease)).as("an acquire with a TTL grants the lease to the caller").isEqualTo("alice");

        d.requester = BOB;
        assertNotOwner(d.release("db", token), "token");
        assertThat(d.release("db", token + 1).getStatus()).as("a wrong token is not the holder's, whoever asks")
                .isEqualTo(Status.NOT_HOLDER);
        assertThat(d.view().lock("db")).isPresent();

        d.requester = ALICE;
        assertThat(d.release("db", token + 1).getStatus()).isEqualTo(Status.NOT_HOLDER);
        assertThat(d.release("db", token).getStatus()).isEqualTo(Status.OK);

        long again = d.acquireWithFreshLease("db", 10, 0).getHeld().getToken();
        d.requester = ROOT;
        assertThat(d.release("db", again).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void withAuthOff_nothingIsChecked_andLeasesHaveNoOwner() {
        long lease = d.lease(10);
        assertThat(d.view().leaseSubject(lease)).isEmpty();

        d.requester = BOB;
        assertThat(d.keepAlive(lease).getStatus()).as("a lease granted with auth off is anybody's").isEqualTo(Status.OK);

        long alices = aliceLease();
        d.requester = null;
        assertThat(d.keepAlive(alices).getStatus()).isEqualTo(Status.OK);
        assertThat(d.revoke(alices).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void aRestoredSnapshot_keepsTheOwners() {
        long lease = aliceLease();
        long token = d.acquire("db", lease, 0).getHeld().getToken();

        Driver restored = d.restoredCopy(StateConfig.DEFAULT);

        assertThat(restored.snapshot()).isEqualTo(d.snapshot());
        assertThat(restored.view().leaseSubject(lease)).isEqualTo("alice");
        restored.requester = BOB;
        assertThat(restored.release("db", token).getStatus()).isEqualTo(Status.NOT_OWNER);
        assertThat(restored.revoke(lease).getStatus()).isEqualTo(Status.NOT_OWNER);
        restored.requester = ALICE;
        assertThat(restored.release("db", token).getStatus()).isEqualTo(Status.OK);
    }
}
