package io.latchkey.state;

import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.ExpireLeases;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.RenewAllLeases;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("state")
class LeaseCommandsTest {
    private final Driver d = new Driver();

    @Test
    void grant_returnsIdAndFullTtl_andTakesARevision() {
        d.advanceMillis(5_000);
        Result result = d.grant(10);

        assertThat(result.getStatus()).isEqualTo(Status.OK);
        assertThat(result.getLease().getId()).isEqualTo(1);
        assertThat(result.getLease().getTtlSeconds()).isEqualTo(10);
        assertThat(result.getLease().getRemainingMillis()).isEqualTo(10_000);
        assertThat(result.getRevision()).isEqualTo(1);
        assertThat(d.grant(20).getLease().getId()).isEqualTo(2);
    }

    @Test
    void grant_outsideTtlLimits_isInvalidAndChangesNothing() {
        for (long ttl : new long[]{0, -1, Limits.LEASE_TTL_SECONDS_MAX + 1}) {
            Result result = d.grant(ttl);
            assertThat(result.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
            assertThat(result.getField()).isEqualTo("ttl_seconds");
        }
        assertThat(d.view().revision()).isZero();
        assertThat(d.grant(Limits.LEASE_TTL_SECONDS_MAX).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void keepAlive_restartsTheTtlFromTheStampedTime() {
        long lease = d.lease(10);
        d.advanceMillis(7_000);

        Result result = d.keepAlive(lease);

        assertThat(result.getStatus()).isEqualTo(Status.OK);
        assertThat(result.getLease().getRemainingMillis()).isEqualTo(10_000);
        assertThat(d.view().lease(lease, d.clockMillis + 9_999).orElseThrow().getRemainingMillis()).isEqualTo(1);
        assertThat(result.getRevision()).as("a keep-alive moves a deadline, not data").isEqualTo(1);
    }

    @Test
    void keepAlive_orRevoke_ofUnknownLease_isNotFound() {
        assertThat(d.keepAlive(42).getStatus()).isEqualTo(Status.NOT_FOUND);
        assertThat(d.keepAlive(42).getField()).isEqualTo("lease_id");
        assertThat(d.revoke(42).getStatus()).isEqualTo(Status.NOT_FOUND);
        assertThat(d.keepAlive(0).getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
        assertThat(d.revoke(-3).getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
    }

    @Test
    void revoke_deletesTheLeasesKeys_andReleasesItsLocks() {
        long lease = d.lease(10);
        long other = d.lease(10);
        d.put(PutKey.newBuilder().setKey("svc/a").setLeaseId(lease));
        d.put(PutKey.newBuilder().setKey("svc/b").setLeaseId(lease));
        d.put("svc/c", "stays");
        d.acquire("lock/x", lease, 0);
        d.acquire("lock/x", other, 1_000);
        assertThat(d.view().lease(lease, d.clockMillis).orElseThrow().getKeysList()).containsExactly("svc/a", "svc/b");
        assertThat(d.view().lease(lease, d.clockMillis).orElseThrow().getHeldLocksList()).containsExactly("lock/x");
        assertThat(d.view().lease(other, d.clockMillis).orElseThrow().getAwaitedLocksList()).containsExactly("lock/x");
        d.told.clear();

        assertThat(d.revoke(lease).getStatus()).isEqualTo(Status.OK);

        assertThat(d.view().lease(lease, d.clockMillis)).isEmpty();
        assertThat(d.view().key("svc/a")).isEmpty();
        assertThat(d.view().key("svc/b")).isEmpty();
        assertThat(d.view().key("svc/c")).isPresent();
        assertThat(d.view().lock("lock/x").orElseThrow().getHolder().getLeaseId()).isEqualTo(other);
        assertThat(d.told).containsExactly("DELETE svc/a@9", "DELETE svc/b@10", "granted lock/x to lease 2 token 12",
                "revoked lease 1");
    }

    @Test
    void leaseExpires_onlyThroughACommittedExpireCommand() {
        d.electNewLeader();
        long lease = d.lease(10);
        d.put(PutKey.newBuilder().setKey("k").setLeaseId(lease));
        d.advanceMillis(60_000);
        d.put("unrelated", "v");

        assertThat(d.view().expiredLeases(d.clockMillis)).containsExactly(lease);
        assertThat(d.view().lease(lease, d.clockMillis)).as("overdue, but not revoked by any clock").isPresent();
        assertThat(d.view().key("k")).isPresent();

        Result result = d.expireDue();

        assertThat(result.getRevoked().getIdsList()).containsExactly(lease);
        assertThat(d.view().lease(lease, d.clockMillis)).isEmpty();
        assertThat(d.view().key("k")).isEmpty();
    }

    @Test
    void expire_skipsALeaseKeptAliveAfterTheLeaderDecided() {
        d.electNewLeader();
        long lease = d.lease(10);
        d.advanceMillis(10_000);
        List<Long> due = d.view().expiredLeases(d.clockMillis);
        assertThat(due).containsExactly(lease);

        d.keepAlive(lease);
        Result result = d.expire(due);

        assertThat(result.getStatus()).isEqualTo(Status.OK);
        assertThat(result.getRevoked().getIdsList()).isEmpty();
        assertThat(d.view().lease(lease, d.clockMillis)).isPresent();
    }

    @Test
    void expire_neverRevokesBeforeTheDeadline_evenIfAskedTo() {
        d.electNewLeader();
        long lease = d.lease(10);
        d.advanceMillis(9_999);

        assertThat(d.expire(List.of(lease, 77L)).getRevoked().getIdsList()).isEmpty();
        d.advanceMillis(1);
        assertThat(d.expire(List.of(lease)).getRevoked().getIdsList()).containsExactly(lease);
    }

    @Test
    void expire_fromALeaderThatHasNotRenewed_orFromADeposedLeader_isRefused() {
        d.electNewLeader();
        long lease = d.lease(10);
        d.advanceMillis(20_000);
        d.put("tick", "v");

        Result early = d.applyStamped(Command.newBuilder().setExpireLeases(
                ExpireLeases.newBuilder().addLeaseIds(lease)), d.term + 1, d.clockMillis);
        assertThat(early.getStatus()).isEqualTo(Status.STALE_LEADER);
        assertThat(early.getField()).isEqualTo("stamp.leader_term");

        long oldTerm = d.term;
        d.electNewLeader();
        Result late = d.applyStamped(Command.newBuilder().setExpireLeases(
                ExpireLeases.newBuilder().addLeaseIds(lease)), oldTerm, d.clockMillis + 100_000);
        assertThat(late.getStatus()).isEqualTo(Status.STALE_LEADER);
        assertThat(d.view().lease(lease, d.clockMillis)).isPresent();
        assertThat(d.view().leaseClockMillis()).as("a deposed leader's stamp does not move the clock")
                .isEqualTo(d.clockMillis);
    }

    @Test
    void renewAll_givesEveryLeaseItsFullTtl_andNeverShortens() {
        d.electNewLeader();
        long shortLease = d.lease(10);
        long longLease = d.lease(100);
        d.advanceMillis(8_000);
        d.keepAlive(longLease);  // deadline 108 s
        d.advanceMillis(1_000);  // 9 s: shortLease has 1 s left

        d.term++;
        Result renewed = d.apply(Command.newBuilder().setRenewAllLeases(
                RenewAllLeases.getDefaultInstance()));

        assertThat(renewed.getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().leaseTerm()).isEqualTo(d.term);
        assertThat(d.view().lease(shortLease, 9_000).orElseThrow().getRemainingMillis()).isEqualTo(10_000);
        assertThat(d.view().lease(longLease, 9_000).orElseThrow().getRemainingMillis())
                .as("a deadline of 108 s becomes 9 + 100 s: at least a full TTL from the renewal")
                .isEqualTo(100_000);
        d.advanceMillis(-5_000);  // a new leader whose stamp is behind the replicated clock
        d.term++;
        d.apply(Command.newBuilder().setRenewAllLeases(RenewAllLeases.getDefaultInstance()));
        assertThat(d.view().lease(shortLease, 9_000).orElseThrow().getRemainingMillis())
                .as("an earlier stamp never shortens a deadline").isEqualTo(10_000);
    }

    @Test
    void renewAll_fromAnOlderTerm_isRefused() {
        d.term = 5;
        d.apply(Command.newBuilder().setRenewAllLeases(RenewAllLeases.getDefaultInstance()));
        Result stale = d.applyStamped(Command.newBuilder().setRenewAllLeases(
                RenewAllLeases.getDefaultInstance()), 4, 0);
        assertThat(stale.getStatus()).isEqualTo(Status.STALE_LEADER);
        assertThat(d.view().leaseTerm()).isEqualTo(5);
        Result unstamped = d.applyStamped(Command.newBuilder().setRenewAllLeases(
                RenewAllLeases.getDefaultInstance()), 0, 0);
        assertThat(unstamped.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
    }

    @Test
    void leaderChange_doesNotCountTheElection_andTheNewLeaderExtends() {
        d.electNewLeader();
        long lease = d.lease(10);
        d.advanceMillis(9_000);
        d.keepAlive(lease); // deadline 19 s
        d.advanceMillis(9_000);  // the old leader's clock says 18 s, but it proposes nothing more

        Driver newLeader = d;
        newLeader.electNewLeader(); // starts its clock at the replicated 9 s
        assertThat(newLeader.clockMillis).isEqualTo(9_000);
        assertThat(newLeader.view().expiredLeases(newLeader.clockMillis + 9_999)).isEmpty();
        assertThat(newLeader.view().expiredLeases(newLeader.clockMillis + 10_000)).containsExactly(lease);
    }

    @Test
    void expire_withTooManyIds_isInvalid() {
        d.electNewLeader();
        List<Long> ids = LongStream.rangeClosed(1, Limits.EXPIRE_BATCH_LEASES_MAX + 1).boxed().toList();
        Result result = d.expire(ids);
        assertThat(result.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
        assertThat(result.getField()).isEqualTo("lease_ids");
    }

    @Test
    void expiredLeases_listsEarliestDeadlineFirst() {
        long late = d.lease(30);
        long early = d.lease(5);
        long middle = d.lease(10);
        assertThat(d.view().expiredLeases(60_000)).containsExactly(early, middle, late);
        assertThat(d.view().expiredLeases(10_000)).containsExactly(early, middle);
        assertThat(d.view().expiredLeases(4_999)).isEmpty();
    }
}
