package io.latchkey.raft.quorum;

import java.util.HashMap;
import java.util.Map;

/** An {@link AckedIndexer} over a plain map, for tests (etcd's mapAckIndexer). */
final class MapAckIndexer implements AckedIndexer {
    final Map<Long, Long> acked = new HashMap<>();

    static MapAckIndexer of(long... idAndIndexPairs) {
        MapAckIndexer l = new MapAckIndexer();
        for (int i = 0; i < idAndIndexPairs.length; i += 2) {
            l.acked.put(idAndIndexPairs[i], idAndIndexPairs[i + 1]);
        }
        return l;
    }

    @Override
    public long ackedIndex(long voterId) {
        Long idx = acked.get(voterId);
        return idx == null ? NOT_FOUND : idx;
    }
}
