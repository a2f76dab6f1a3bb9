package io.latchkey.raft.tracker;

import io.latchkey.raft.quorum.AckedIndexer;

import java.util.Map;
import java.util.TreeMap;

/**
 * The progress of each tracked peer by id (etcd's {@code tracker.ProgressMap}). Keys are kept
 * sorted, so iteration already has the stable id order etcd sorts for. The map also serves as
 * the {@link AckedIndexer} for commit computations: a peer's acknowledged index is its match.
 */
public final class ProgressMap extends TreeMap<Long, Progress> implements AckedIndexer {
    public ProgressMap() {
    }

    @Override
    public long ackedIndex(long voterId) {
        Progress pr = get(voterId);
        return pr == null ? NOT_FOUND : pr.match();
    }

    /** One "id: progress" line per peer in id order, as etcd prints it. */
    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder();
        for (Map.Entry<Long, Progress> e : entrySet()) {
            buf.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return buf.toString();
    }
}
