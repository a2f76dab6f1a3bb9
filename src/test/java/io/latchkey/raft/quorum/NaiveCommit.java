package io.latchkey.raft.quorum;

import java.util.HashMap;
import java.util.Map;

/**
 * A deliberately simple second way to compute a majority's committed index, to cross-check
 * {@link MajorityConfig#committedIndex}: for every acknowledged index count the voters at or
 * above it, and take the highest index a quorum reached.
 */
final class NaiveCommit {
    private NaiveCommit() {
    }

    static long committedIndex(MajorityConfig c, AckedIndexer l) {
        if (c.isEmpty()) {
            return Index.INFINITY;
        }
        Map<Long, Integer> votesAtOrAbove = new HashMap<>();
        long[] ids = c.slice();
        for (long id : ids) {
            long idx = l.ackedIndex(id);
            if (idx != AckedIndexer.NOT_FOUND) {
                votesAtOrAbove.putIfAbsent(idx, 0);
            }
        }
        for (long id : ids) {
            long idx = l.ackedIndex(id);
            if (idx == AckedIndexer.NOT_FOUND) {
                continue;
            }
            for (Map.Entry<Long, Integer> e : votesAtOrAbove.entrySet()) {
                if (e.getKey() <= idx) {
                    e.setValue(e.getValue() + 1);
                }
            }
        }
        int quorum = c.size() / 2 + 1;
        long best = 0;
        for (Map.Entry<Long, Integer> e : votesAtOrAbove.entrySet()) {
            if (e.getValue() >= quorum && e.getKey() > best) {
                best = e.getKey();
            }
        }
        return best;
    }
}
