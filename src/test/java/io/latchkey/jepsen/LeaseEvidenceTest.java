package io.latchkey.jepsen;

import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.History;
import io.latchkey.jepsen.checker.Operation;
import io.latchkey.jepsen.checker.Outcome;
import io.latchkey.jepsen.checker.Result;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The lease-validity check on hand-made histories that must pass and must fail. */
class LeaseEvidenceTest {
    private static final long MS = 1_000_000;

    private static Operation grant(int id, int process, long token, long invokeMs, long completeMs) {
        return new Operation(id, process, new Call.Acquire("l"), Outcome.OK, new Result.Revision(token), invokeMs * MS, completeMs * MS);
    }

    @Test
    void aGrantWithinTheTtlOfTheHoldersLastKeepAlive_isAViolation() {
        LeaseEvidence leases = new LeaseEvidence(3);
        leases.renewed("l", 5, 1, 0, 100 * MS);
        leases.renewed("l", 5, 1, 1000 * MS, 1100 * MS);
        History history = new History(List.of(grant(0, 1, 5, 0, 100), grant(1, 2, 9, 1200, 3900)));

        assertThat(leases.check(history)).singleElement().satisfies(v -> assertThat(v.reason()).contains("still valid"));
    }

    @Test
    void aGrantAfterTheTtlHasSurelyRunOut_passes() {
        LeaseEvidence leases = new LeaseEvidence(3);
        leases.renewed("l", 5, 1, 0, 100 * MS);
        History history = new History(List.of(grant(0, 1, 5, 0, 100), grant(1, 2, 9, 200, 3100)));

        assertThat(leases.check(history)).isEmpty();
    }

    @Test
    void aGrantAfterTheHolderAskedToRelease_passes() {
        LeaseEvidence leases = new LeaseEvidence(3);
        leases.renewed("l", 5, 1, 0, 100 * MS);
        leases.releasing("l", 5, 500 * MS);
        History history = new History(List.of(grant(0, 1, 5, 0, 100), grant(1, 2, 9, 200, 900)));

        assertThat(leases.check(history)).isEmpty();
    }

    @Test
    void aKeepAliveStillInFlightAtTheGrant_provesNothing() {
        LeaseEvidence leases = new LeaseEvidence(3);
        leases.renewed("l", 5, 1, -5000 * MS, -4900 * MS);
        leases.renewed("l", 5, 1, 1000 * MS, 2500 * MS);
        History history = new History(List.of(grant(0, 1, 5, -5000, -4900), grant(1, 2, 9, 2000, 2200)));

        assertThat(leases.check(history)).isEmpty();
    }

    @Test
    void aSmallerTokenGrantedAfterALargerOne_isAViolation() {
        LeaseEvidence leases = new LeaseEvidence(3);
        History history = new History(List.of(grant(0, 1, 9, 0, 100), grant(1, 2, 5, 5000, 5100)));

        assertThat(leases.check(history)).anySatisfy(v -> assertThat(v.reason()).contains("after token 9"));
    }
}
