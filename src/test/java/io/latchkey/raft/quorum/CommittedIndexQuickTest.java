package io.latchkey.raft.quorum;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The sorting-based commit computation agrees with a naive one on random inputs. */
class CommittedIndexQuickTest {
    @Test
    void fastAndNaiveCommittedIndexAgreeOnRandomConfigs() {
        Random rnd = new Random(0x5eed);
        for (int run = 0; run < 50_000; run++) {
            MajorityConfig c = new MajorityConfig();
            for (long id : randomIndexes(rnd).acked.keySet()) {
                c.add(id);
            }
            MapAckIndexer l = randomIndexes(rnd);
            long fast = c.committedIndex(l);
            long naive = NaiveCommit.committedIndex(c, l);
            assertThat(fast).as("config %s, acked %s", c, l.acked).isEqualTo(naive);
        }
    }

    /** Up to 9 ids drawn from twice as many candidates, each with an index below the count. */
    private static MapAckIndexer randomIndexes(Random rnd) {
        int n = rnd.nextInt(10);
        List<Long> candidates = new ArrayList<>();
        for (long id = 0; id < 2L * n; id++) {
            candidates.add(id);
        }
        Collections.shuffle(candidates, rnd);
        MapAckIndexer l = new MapAckIndexer();
        for (int i = 0; i < n; i++) {
            l.acked.put(candidates.get(i), (long) rnd.nextInt(n));
        }
        return l;
    }
}
