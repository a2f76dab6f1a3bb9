package io.latchkey.node;

import io.latchkey.raft.Config;
import io.latchkey.raft.Logger;
import io.latchkey.raft.Storage;

import java.util.random.RandomGenerator;

/**
 * The settings of one replica.
 *
 * @param snapshotEntries          applied entries between state machine snapshots
 * @param compactionMarginEntries  entries kept in the log behind a snapshot for slow followers
 * @param idempotencyKeysMax       results of idempotent requests remembered for retries
 * @param idempotencyTtlMillis     how long (by the leader's replicated lease clock) a result
 *                                 is remembered; like the count, equal on every member
 * @param asyncStorageWrites       persist on a separate writer (group-committing whatever has
 *                                 queued) while the loop goes on stepping messages, instead of
 *                                 persisting each Ready on the loop
 */
public record ReplicaConfig(
        long nodeId,
        long clusterId,
        int electionTicks,
        int heartbeatTicks,
        long maxSizePerMsgBytes,
        int maxInflightMsgs,
        long maxUncommittedBytes,
        long snapshotEntries,
        long compactionMarginEntries,
        int idempotencyKeysMax,
        long idempotencyTtlMillis,
        boolean asyncStorageWrites,
        RandomGenerator random) {

    public ReplicaConfig {
        if (nodeId == 0) {
            throw new IllegalArgumentException("nodeId must not be 0");
        }
        if (snapshotEntries <= 0) {
            throw new IllegalArgumentException("snapshotEntries must be positive");
        }
        if (compactionMarginEntries < 0) {
            throw new IllegalArgumentException("compactionMarginEntries must not be negative");
        }
        if (idempotencyKeysMax <= 0) {
            throw new IllegalArgumentException("idempotencyKeysMax must be positive");
        }
        if (idempotencyTtlMillis <= 0) {
            throw new IllegalArgumentException("idempotencyTtlMillis must be positive");
        }
    }

    /** A day, as Stripe keeps its idempotency keys: far beyond any client's retries. */
    public static final long IDEMPOTENCY_TTL_MILLIS_DEFAULT = 24L * 60 * 60 * 1000;

    /** Defaults for a cluster on one network: 10 ticks to elect, heartbeats every tick. */
    public static ReplicaConfig defaults(long nodeId, long clusterId, RandomGenerator random) {
        return new ReplicaConfig(nodeId, clusterId, 10, 1, 1024 * 1024, 256, 64L * 1024 * 1024,
                10_000, 5_000, 100_000, IDEMPOTENCY_TTL_MILLIS_DEFAULT, false, random);
    }

    Config raftConfig(Storage storage, Logger logger) {
        return new Config()
                .id(nodeId)
                .electionTick(electionTicks)
                .heartbeatTick(heartbeatTicks)
                .storage(storage)
                .maxSizePerMsg(maxSizePerMsgBytes)
                .maxInflightMsgs(maxInflightMsgs)
                .maxUncommittedEntriesSize(maxUncommittedBytes)
                // Check quorum lets a partitioned leader step down and enables lease reads;
                // pre-vote keeps a rejoining node from disrupting a healthy leader.
                .checkQuorum(true)
                .preVote(true)
                .logger(logger)
                .asyncStorageWrites(asyncStorageWrites)
                .random(random);
    }
}
