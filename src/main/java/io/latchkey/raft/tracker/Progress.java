package io.latchkey.raft.tracker;

/**
 * What the leader knows about one follower's log and how it is replicating to it (etcd's
 * {@code tracker.Progress}). The transitions between {@link ProgressState}s are driven by the
 * Raft core; this class keeps the bookkeeping consistent for each of them.
 *
 * <p>Invariant: {@code 0 <= match < next}. In {@link ProgressState#StateSnapshot},
 * {@code next == pendingSnapshot + 1 == sentCommit + 1}.
 */
public final class Progress {
    private long match;
    private long next;
    /**
     * Highest commit index sent to the follower. It usually only grows, but drops back when
     * the leader has reason to believe the follower did not apply it (probing, rejections).
     */
    private long sentCommit;
    private ProgressState state = ProgressState.StateProbe;
    private long pendingSnapshot;
    private boolean recentActive;
    private boolean msgAppFlowPaused;
    private Inflights inflights;
    private boolean isLearner;

    /** A zero progress in {@link ProgressState#StateProbe}, without an {@link Inflights}. */
    public Progress() {
    }

    /**
     * A shallow copy: the fields are copied but the {@link Inflights} is shared, which is what
     * configuration changes need (they only flip the learner flag on the copy). Never hand
     * one out of the library: its holder could see and change the leader's flow control.
     */
    public Progress copy() {
        Progress c = new Progress();
        c.match = match;
        c.next = next;
        c.sentCommit = sentCommit;
        c.state = state;
        c.pendingSnapshot = pendingSnapshot;
        c.recentActive = recentActive;
        c.msgAppFlowPaused = msgAppFlowPaused;
        c.inflights = inflights;
        c.isLearner = isLearner;
        return c;
    }

    /** A copy sharing nothing with this one, for {@code Status} (etcd's {@code getProgressCopy}). */
    public Progress copyWithInflights() {
        Progress c = copy();
        c.inflights = inflights == null ? null : inflights.copy();
        return c;
    }

    /** A copy without the inflight window, for {@code RawNode.withProgress} (as etcd's). */
    public Progress copyWithoutInflights() {
        Progress c = copy();
        c.inflights = null;
        return c;
    }

    /** Highest index known to be identical in the follower's log and the leader's. */
    public long match() {
        return match;
    }

    public void setMatch(long match) {
        this.match = match;
    }

    /** Index of the next entry to send; entries in (match, next) are in flight. */
    public long next() {
        return next;
    }

    public void setNext(long next) {
        this.next = next;
    }

    public ProgressState state() {
        return state;
    }

    public void setState(ProgressState state) {
        this.state = state;
    }

    /**
     * In {@link ProgressState#StateSnapshot}: the leader's last index when it decided the
     * follower needs a snapshot. Replication resumes once an append response shows the
     * follower caught up by any means (the snapshot actually applied may differ, e.g. when an
     * application ships snapshots from elsewhere); this index only seeds the next probe.
     */
    public long pendingSnapshot() {
        return pendingSnapshot;
    }

    public void setPendingSnapshot(long pendingSnapshot) {
        this.pendingSnapshot = pendingSnapshot;
    }

    /** Whether the follower was heard from since the last check-quorum round. */
    public boolean recentActive() {
        return recentActive;
    }

    public void setRecentActive(boolean recentActive) {
        this.recentActive = recentActive;
    }

    /**
     * Whether appends are throttled (probing, or in-flight window full) until a heartbeat
     * response or an acknowledgement lets the next one through.
     */
    public boolean msgAppFlowPaused() {
        return msgAppFlowPaused;
    }

    public void setMsgAppFlowPaused(boolean msgAppFlowPaused) {
        this.msgAppFlowPaused = msgAppFlowPaused;
    }

    /** The window of unacknowledged appends. */
    public Inflights inflights() {
        return inflights;
    }

    public void setInflights(Inflights inflights) {
        this.inflights = inflights;
    }

    public boolean isLearner() {
        return isLearner;
    }

    public void setIsLearner(boolean isLearner) {
        this.isLearner = isLearner;
    }

    /** Enters {@code state} with a clean slate: unpaused, no pending snapshot, nothing in flight. */
    public void resetState(ProgressState state) {
        msgAppFlowPaused = false;
        pendingSnapshot = 0;
        this.state = state;
        inflights.reset();
    }

    /**
     * Goes back to probing from {@code match + 1}; coming out of a snapshot, probing starts
     * after the snapshot instead when that is further along, since the snapshot was sent.
     */
    public void becomeProbe() {
        if (state == ProgressState.StateSnapshot) {
            long snapshot = pendingSnapshot;
            resetState(ProgressState.StateProbe);
            next = Math.max(match + 1, snapshot + 1);
        } else {
            resetState(ProgressState.StateProbe);
            next = match + 1;
        }
        sentCommit = Math.min(sentCommit, next - 1);
    }

    /** Starts streaming appends right after the matched index. */
    public void becomeReplicate() {
        resetState(ProgressState.StateReplicate);
        next = match + 1;
    }

    /** Waits for a snapshot up to {@code snapshotIndex} to reach the follower. */
    public void becomeSnapshot(long snapshotIndex) {
        resetState(ProgressState.StateSnapshot);
        pendingSnapshot = snapshotIndex;
        next = snapshotIndex + 1;
        sentCommit = snapshotIndex;
    }

    /**
     * Accounts for an append of {@code entries} consecutive entries ({@code bytes} in total)
     * starting at {@link #next()}. Only valid while probing or replicating.
     */
    public void sentEntries(int entries, long bytes) {
        switch (state) {
            case StateReplicate -> {
                if (entries > 0) {
                    next += entries;
                    inflights.add(next - 1, bytes);
                }
                // A message that filled (or found full) the window is treated like a probe:
                // the flow pauses until something is acknowledged.
                msgAppFlowPaused = inflights.full();
            }
            case StateProbe -> {
                // etcd pauses only on non-empty probes; kept as is to replicate its behaviour.
                if (entries > 0) {
                    msgAppFlowPaused = true;
                }
            }
            default -> throw new IllegalStateException("sending append in unhandled state " + state);
        }
    }

    /** Whether sending commit index {@code index} could move the follower's commit index. */
    public boolean canBumpCommit(long index) {
        // The follower can commit at most up to next-1 from what it has been sent, so once a
        // commit index that high went out, sending a newer one early gains nothing.
        return index > sentCommit && sentCommit < next - 1;
    }

    /** Records that commit index {@code commit} was sent (etcd's {@code SentCommit}). */
    public void setSentCommit(long commit) {
        this.sentCommit = commit;
    }

    /** Highest commit index sent to the follower. */
    public long sentCommit() {
        return sentCommit;
    }

    /**
     * Applies an acknowledgement of index {@code n}. Returns false, changing nothing, when the
     * acknowledgement is older than what is already known.
     */
    public boolean maybeUpdate(long n) {
        if (n <= match) {
            return false;
        }
        match = n;
        next = Math.max(next, n + 1);
        msgAppFlowPaused = false;
        return true;
    }

    /**
     * Applies the follower's rejection of the append at index {@code rejected}, with
     * {@code matchHint} its guess of where the logs agree. Stale rejections (reordered or
     * duplicated messages) return false and change nothing; genuine ones move {@code next}
     * back and unpause the flow.
     */
    public boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == ProgressState.StateReplicate) {
            // Anything at or below match was acknowledged already, so the rejection is stale.
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            // The follower probably did not apply the commit index sent with lost entries.
            sentCommit = Math.min(sentCommit, next - 1);
            return true;
        }

        // Outside replication only one append is outstanding, at next-1; a rejection for any
        // other index is taken as stale (reordering is assumed to be rare).
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        sentCommit = Math.min(sentCommit, next - 1);
        msgAppFlowPaused = false;
        return true;
    }

    /**
     * Whether appends to this follower are held back: while a snapshot is pending, or while
     * the flow is paused by probing or a full in-flight window.
     */
    public boolean isPaused() {
        return switch (state) {
            case StateProbe, StateReplicate -> msgAppFlowPaused;
            case StateSnapshot -> true;
        };
    }

    /** etcd's one-line form, e.g. "StateReplicate match=5 next=6 learner inflight=2[full]". */
    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder();
        buf.append(state).append(" match=").append(match).append(" next=").append(next);
        if (isLearner) {
            buf.append(" learner");
        }
        if (isPaused()) {
            buf.append(" paused");
        }
        if (pendingSnapshot > 0) {
            buf.append(" pendingSnap=").append(pendingSnapshot);
        }
        if (!recentActive) {
            buf.append(" inactive");
        }
        int n = inflights == null ? 0 : inflights.count();
        if (n > 0) {
            buf.append(" inflight=").append(n);
            if (inflights.full()) {
                buf.append("[full]");
            }
        }
        return buf.toString();
    }
}
