package io.latchkey.node;

import io.latchkey.raft.Config;
import io.latchkey.raft.Logger;
import io.latchkey.raft.Storage;
import io.latchkey.raft.TraceLogger;

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
 * @param leaseMarginTicks         ticks before the end of an election timeout at which a leader
 *                                 stops serving lease reads; 0 lets Raft pick
 *                                 {@code 1 + electionTicks / 10} (see {@link Config#leaseMarginTicks()})
 * @param traceLogger              receives Raft's state-machine events in etcd's trace format, or
 *                                 null (no tracing, no cost)
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
        RandomGenerator random,
        int leaseMarginTicks,
        TraceLogger traceLogger) {

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
        if (leaseMarginTicks != 0 && (leaseMarginTicks < 1 || leaseMarginTicks >= electionTicks)) {
            throw new IllegalArgumentException("leaseMarginTicks must be 0 (default) or between 1 and electionTicks - 1");
        }
    }

    /** With the default lease margin and no tracing. */
    public ReplicaConfig(long nodeId, long clusterId, int electionTicks, int heartbeatTicks, long maxSizePerMsgBytes,
                         int maxInflightMsgs, long maxUncommittedBytes, long snapshotEntries, long compactionMarginEntries,
                         int idempotencyKeysMax, long idempotencyTtlMillis, boolean asyncStorageWrites,
                         RandomGenerator random) {
        this(nodeId, clusterId, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs, maxUncommittedBytes,
                snapshotEntries, compactionMarginEntries, idempotencyKeysMax, idempotencyTtlMillis, asyncStorageWrites,
                random, 0, null);
    }

    /** With the default idempotency key lifetime, lease margin and no tracing. */
    public ReplicaConfig(long nodeId, long clusterId, int electionTicks, int heartbeatTicks, long maxSizePerMsgBytes,
                         int maxInflightMsgs, long maxUncommittedBytes, long snapshotEntries, long compactionMarginEntries,
                         int idempotencyKeysMax, boolean asyncStorageWrites, RandomGenerator random) {
        this(nodeId, clusterId, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs, maxUncommittedBytes,
                snapshotEntries, compactionMarginEntries, idempotencyKeysMax, IDEMPOTENCY_TTL_MILLIS_DEFAULT,
                asyncStorageWrites, random);
    }

    public ReplicaConfig withLeaseMarginTicks(int ticks) {
        return new ReplicaConfig(nodeId, clusterId, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs,
                maxUncommittedBytes, snapshotEntries, compactionMarginEntries, idempotencyKeysMax, idempotencyTtlMillis,
                asyncStorageWrites, random, ticks, traceLogger);
    }

    public ReplicaConfig withTraceLogger(TraceLogger logger) {
        return new ReplicaConfig(nodeId, clusterId, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs,
                maxUncommittedBytes, snapshotEntries, compactionMarginEntries, idempotencyKeysMax, idempotencyTtlMillis,
                asyncStorageWrites, random, leaseMarginTicks, logger);
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
                .leaseMarginTicks(leaseMarginTicks)
                .traceLogger(traceLogger)
                .logger(logger)
                .asyncStorageWrites(asyncStorageWrites)
                .random(random);
    }
}
