package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.Proposal;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Idempotency keys are decided from the log alone: the fingerprint and the leader's proposal
 * time travel in the entry, so all three replicas replay, refuse and forget a key alike.
 */
@Tag("state")
class IdempotencyKeysTest {
    private static final long TTL_MILLIS = 60_000;
    private static final ByteString REQUEST_A = ByteString.copyFromUtf8("fingerprint-a");
    private static final ByteString REQUEST_B = ByteString.copyFromUtf8("fingerprint-b");

    private final ReplicaGroup cluster = new ReplicaGroup(3, id -> ReplicaGroup.config(id, TTL_MILLIS));
    private final Replica leader = cluster.electLeader();

    @Test
    void aRetryOfTheSameRequestGetsTheFirstResultAndIsAppliedOnce() {
        ByteString first = propose(7, "k", REQUEST_A, 1_000).join();
        ByteString retry = propose(7, "k", REQUEST_A, 2_000).join();

        assertThat(retry).isEqualTo(first);
        assertThat(totals()).containsOnly(1L);
    }

    @Test
    void theSameKeyWithAnotherRequestIsRefusedOnEveryReplica() {
        propose(7, "k", REQUEST_A, 1_000).join();
        CompletableFuture<ByteString> reused = propose(8, "k", REQUEST_B, 2_000);

        assertThat(reused).isCompletedExceptionally();
        assertThat(reused.exceptionNow()).isInstanceOfSatisfying(ReplicaException.class, e -> {
            assertThat(e.reason()).isEqualTo(ReplicaException.Reason.IDEMPOTENCY_KEY_REUSED);
            assertThat(e.outcomeUnknown()).isFalse();
        });
        assertThat(totals()).as("nothing applied anywhere").containsOnly(1L);
        assertThat(propose(7, "k", REQUEST_A, 3_000).join()).as("the first request is still answered").isNotEmpty();
        assertThat(totals()).containsOnly(1L);
    }

    @Test
    void aKeyIsForgottenWhenTheLeadersClockHasRunTheTtlPastIt() {
        propose(7, "k", REQUEST_A, 1_000).join();
        propose(1, "", ByteString.EMPTY, 1_000 + TTL_MILLIS - 1).join();
        propose(7, "k", REQUEST_A, 1_000 + TTL_MILLIS - 1).join();
        assertThat(totals()).as("one millisecond before the TTL the key is remembered").containsOnly(2L);

        // A late entry of an earlier leader does not move the replicated clock back.
        propose(2, "", ByteString.EMPTY, 0).join();
        propose(3, "", ByteString.EMPTY, 1_000 + TTL_MILLIS).join();
        ByteString again = propose(8, "k", REQUEST_B, 1_000 + TTL_MILLIS).join();

        assertThat(CounterStateMachine.Applied.decode(again).operationId())
                .as("an expired key is free for a new request").isEqualTo(8);
        assertThat(totals()).containsOnly(5L);
    }

    private CompletableFuture<ByteString> propose(long operationId, String key, ByteString fingerprint, long atMillis) {
        CompletableFuture<ByteString> result = leader.propose(
                new Proposal(CounterStateMachine.encode(operationId), key, fingerprint, atMillis));
        cluster.settle();
        return result;
    }

    private java.util.List<Long> totals() {
        return cluster.stateMachines.values().stream().map(CounterStateMachine::total).toList();
    }
}
