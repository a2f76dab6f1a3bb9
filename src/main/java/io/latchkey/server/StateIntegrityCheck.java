package io.latchkey.server;

import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.StateHash;
import io.latchkey.node.StateHashes;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * etcd's corruption check: every period this member fetches the recent state hashes of every
 * other member (peer route {@code GET /raft/state-hashes}) and compares them with its own at
 * the indexes both hashed. Every member checks, so the alarm shows on the leader and on the
 * followers alike, whichever member diverged. A mismatch raises the alarm (metric
 * {@code latchkey_state_corrupt}, health {@code latchkey-state-integrity}) and is logged as an
 * ERROR once. While it is on, this node refuses client writes (etcd's CORRUPT alarm), so a
 * diverged state is not built upon; reads and backups go on. A diverged state does not heal,
 * and which member is wrong is for the operator to find out (the one whose hash differs from
 * the majority's) and replace. The alarm clears on the first round that reaches every other
 * member and finds each agreeing at an index past the mismatch: after the odd member was
 * removed (or replaced and has caught up), not while any member is unreachable. A member that
 * cannot be reached is skipped until the next round.
 */
public final class StateIntegrityCheck implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StateIntegrityCheck.class.getName());
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

    /** Two members' hashes of one applied index that differ. */
    public record Alarm(long index, long localMember, String localSha256, long otherMember, String otherSha256) {
        public String describe() {
            return "applied state differs at index %d: member %x has SHA-256 %s, member %x has %s".formatted(
                    index, localMember, localSha256, otherMember, otherSha256);
        }
    }

    /** One member to ask for hashes. */
    @FunctionalInterface
    interface HashSource {
        List<StateHash> fetch(long memberId) throws IOException;
    }

    private final ReplicaLoop loop;
    private final long self;
    private final HashSource members;
    private final ScheduledExecutorService scheduler;
    private volatile Alarm alarm;
    private volatile long agreedIndex;

    StateIntegrityCheck(ReplicaLoop loop, long self, HashSource members, Duration period) {
        this.loop = loop;
        this.self = self;
        this.members = members;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("state-integrity").factory());
        scheduler.scheduleWithFixedDelay(this::checkQuietly, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The mismatch found, or null while every comparison agreed. */
    public Alarm alarm() {
        return alarm;
    }

    /** The highest index at which this member and another hashed alike, or 0 before any did. */
    public long agreedIndex() {
        return agreedIndex;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "state hash check failed: " + e);
        }
    }

    /** One round: every other member's hashes against this member's. */
    void check() {
        if (loop.failure() != null) {
            return;
        }
        List<StateHash> local = ReplicaLoop.join(loop.query(Replica::stateHashes, QUERY_TIMEOUT));
        Set<Long> ids = ReplicaLoop.join(loop.query(r -> r.members().keySet(), QUERY_TIMEOUT));
        compare(local, ids);
    }

    /** Compares this member's hashes with those of every other member in {@code ids}. */
    void compare(List<StateHash> local, Set<Long> ids) {
        Alarm raised = alarm;
        boolean allAgreePastAlarm = raised != null;
        for (long id : ids) {
            if (id == self) {
                continue;
            }
            List<StateHash> theirs;
            try {
                theirs = members.fetch(id);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, "state hashes of member {0} not fetched: {1}", Long.toHexString(id), e.getMessage());
                allAgreePastAlarm = false;
                continue;
            }
            StateHashes.Comparison comparison = StateHashes.compare(local, theirs);
            agreedIndex = Math.max(agreedIndex, comparison.agreedIndex());
            if (comparison.mismatch() != null) {
                raise(id, comparison.mismatch());
                allAgreePastAlarm = false;
            } else if (raised != null && comparison.agreedIndex() <= raised.index()) {
                allAgreePastAlarm = false;
            }
        }
        if (allAgreePastAlarm) {
            clear(raised);
        }
    }

    private synchronized void clear(Alarm raised) {
        if (alarm != raised) {
            return;
        }
        alarm = null;
        LOG.log(System.Logger.Level.WARNING, "state corruption alarm cleared: every other member now agrees with this "
                + "one past index " + raised.index() + " (was: " + raised.describe() + "); client writes are accepted again");
    }

    private synchronized void raise(long member, StateHashes.Mismatch mismatch) {
        if (alarm != null) {
            return;
        }
        alarm = new Alarm(mismatch.index(), self, mismatch.localSha256(), member, mismatch.memberSha256());
        LOG.log(System.Logger.Level.ERROR, alarm.describe() + ": one of the two diverged (a bug, or damage that no "
                + "checksum caught). Compare with the other members' hashes (health check latchkey-state-integrity) "
                + "and replace the odd one out: remove it and add it back with an empty data directory");
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
