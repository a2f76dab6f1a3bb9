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
 * ERROR once; it stays on until the node restarts, as etcd's CORRUPT alarm stays until an
 * operator disarms it: a diverged state does not heal, and which member is wrong is for the
 * operator to find out (the one whose hash differs from the majority's). A member that cannot
 * be reached is skipped until the next round.
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
        for (long id : ids) {
            if (id == self) {
                continue;
            }
            List<StateHash> theirs;
            try {
                theirs = members.fetch(id);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, "state hashes of member {0} not fetched: {1}", Long.toHexString(id), e.getMessage());
                continue;
            }
            StateHashes.Comparison comparison = StateHashes.compare(local, theirs);
            agreedIndex = Math.max(agreedIndex, comparison.agreedIndex());
            if (comparison.mismatch() != null) {
                raise(id, comparison.mismatch());
            }
        }
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
