package io.latchkey.state;

/**
 * The global revision: the number of state changes so far. Each key put or delete, lease grant
 * or revoke, lock grant, release, queueing or withdrawal takes the next revision, so one
 * command may take several (a revoke that deletes keys and hands locks on) and every watch
 * event and every fencing token has a revision of its own.
 */
final class RevisionCounter {
    private long current;

    long current() {
        return current;
    }

    long next() {
        return ++current;
    }

    void reset(long revision) {
        Invariants.check(revision >= 0, "revision %d is negative", revision);
        current = revision;
    }
}
