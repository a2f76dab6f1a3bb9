package io.latchkey.raft.quorum;

/**
 * Looks up the log index a voter has acknowledged. Quorum computations call this once per
 * voter on the leader's commit path, so the answer is a plain {@code long}: a voter the
 * indexer knows nothing about yields {@link #NOT_FOUND} rather than an allocated optional.
 */
@FunctionalInterface
public interface AckedIndexer {
    /** Returned for voters without a known index; real indexes are never negative. */
    long NOT_FOUND = -1;

    /** The index acknowledged by {@code voterId}, or {@link #NOT_FOUND}. */
    long ackedIndex(long voterId);
}
