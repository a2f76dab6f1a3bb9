package io.latchkey.node;

import com.google.protobuf.ByteString;
import io.latchkey.node.proto.AppliedRequest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("state")
class AppliedRequestsTest {
    private static final ByteString A = ByteString.copyFromUtf8("a");
    private static final ByteString B = ByteString.copyFromUtf8("b");
    private static final ByteString RESULT = ByteString.copyFromUtf8("result");

    @Test
    void aSnapshotCarriesFingerprintsAndTheClock_soARestoredReplicaDecidesAlike() {
        AppliedRequests original = new AppliedRequests(10, 1_000);
        original.advanceClock(500);
        original.record("k", A, 3, RESULT);
        original.advanceClock(900);

        AppliedRequests restored = new AppliedRequests(10, 1_000);
        restored.restore(original.clockMillis(), original.all());

        for (AppliedRequests requests : List.of(original, restored)) {
            assertThat(requests.find("k", B)).isInstanceOf(AppliedRequests.Lookup.Reused.class);
            requests.advanceClock(100);
            assertThat(requests.find("k", A)).as("the clock never goes back").isEqualTo(new AppliedRequests.Lookup.Replay(RESULT));
            requests.advanceClock(1_500);
            assertThat(requests.find("k", A)).isInstanceOf(AppliedRequests.Lookup.Fresh.class);
        }
    }

    @Test
    void anEntryOrSnapshotOfAnOlderVersionWithoutFingerprintIsTakenForTheSameRequest() {
        AppliedRequests requests = new AppliedRequests(10, 1_000);
        requests.restore(0, List.of(AppliedRequest.newBuilder().setIdempotencyKey("old").setIndex(1).setResult(RESULT).build()));
        requests.record("new", A, 2, RESULT);

        assertThat(requests.find("old", A)).isEqualTo(new AppliedRequests.Lookup.Replay(RESULT));
        assertThat(requests.find("new", ByteString.EMPTY)).isEqualTo(new AppliedRequests.Lookup.Replay(RESULT));
    }

    @Test
    void theOldestKeyGoesWhenTheCountIsFull() {
        AppliedRequests requests = new AppliedRequests(2, 1_000);
        requests.record("1", A, 1, RESULT);
        requests.record("2", A, 2, RESULT);
        requests.record("3", A, 3, RESULT);

        assertThat(requests.all()).extracting(AppliedRequest::getIdempotencyKey).containsExactly("2", "3");
    }
}
