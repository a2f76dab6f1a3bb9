package io.latchkey.raft.quorum;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MajorityConfigTest {
    private static final MajorityConfig THREE = MajorityConfig.of(1, 2, 3);

    @Test
    void describeDrawsOneLongerBarPerStrictlyLowerIndex() {
        assertThat(THREE.describe(MapAckIndexer.of(1, 101, 2, 102, 3, 103))).isEqualTo("""
                       idx
                >      101    (id=1)
                x>     102    (id=2)
                xx>    103    (id=3)
                """);
    }

    @Test
    void describeGivesEqualIndexesEqualBars() {
        assertThat(THREE.describe(MapAckIndexer.of(1, 100, 2, 100, 3, 100))).isEqualTo("""
                       idx
                >      100    (id=1)
                >      100    (id=2)
                >      100    (id=3)
                """);
        assertThat(THREE.describe(MapAckIndexer.of(1, 100, 2, 102, 3, 102))).isEqualTo("""
                       idx
                >      100    (id=1)
                x>     102    (id=2)
                x>     102    (id=3)
                """);
    }

    @Test
    void describeMarksVotersWithoutIndexAndCountsThemAsZero() {
        assertThat(THREE.describe(MapAckIndexer.of(1, 101, 3, 103))).isEqualTo("""
                       idx
                x>     101    (id=1)
                ?        0    (id=2)
                xx>    103    (id=3)
                """);
    }

    @Test
    void emptyConfigDescribesItselfAndCommitsEverything() {
        MajorityConfig empty = new MajorityConfig();
        assertThat(empty.describe(MapAckIndexer.of())).isEqualTo("<empty majority quorum>");
        assertThat(empty.committedIndex(MapAckIndexer.of())).isEqualTo(Index.INFINITY);
        assertThat(Index.toString(empty.committedIndex(MapAckIndexer.of()))).isEqualTo("∞");
        assertThat(empty.voteResult(Map.of())).isEqualTo(VoteResult.VoteWon);
    }

    @Test
    void printsSortedHexIdsLikeEtcd() {
        assertThat(MajorityConfig.of(31, 1, 10).toString()).isEqualTo("(1 a 1f)");
        assertThat(new MajorityConfig().toString()).isEqualTo("()");
        assertThat(new JointConfig(MajorityConfig.of(1, 2), new MajorityConfig()).toString()).isEqualTo("(1 2)");
        assertThat(new JointConfig(MajorityConfig.of(1, 2), MajorityConfig.of(3)).toString()).isEqualTo("(1 2)&&(3)");
    }

    @Test
    void committedIndexIsTheHighestIndexAMajorityReached() {
        assertThat(THREE.committedIndex(MapAckIndexer.of(1, 5, 2, 7, 3, 9))).isEqualTo(7);
        assertThat(THREE.committedIndex(MapAckIndexer.of(1, 5))).isZero();
        assertThat(MajorityConfig.of(1, 2, 3, 4).committedIndex(MapAckIndexer.of(1, 4, 2, 3, 3, 2, 4, 1))).isEqualTo(2);
    }

    @Test
    void committedIndexWorksBeyondSevenVotersAndAfterMembershipChanges() {
        MajorityConfig c = new MajorityConfig();
        MapAckIndexer l = new MapAckIndexer();
        for (long id = 1; id <= 9; id++) {
            c.add(id);
            l.acked.put(id, id * 10);
        }
        assertThat(c.committedIndex(l)).isEqualTo(50);
        c.remove(1);
        c.remove(2);
        assertThat(c.committedIndex(l)).isEqualTo(60);
    }

    @Test
    void voteNeedsAMajorityOfYesAndIsLostOnceThatIsOutOfReach() {
        assertThat(THREE.voteResult(Map.of(1L, true, 2L, true))).isEqualTo(VoteResult.VoteWon);
        assertThat(THREE.voteResult(Map.of(1L, true))).isEqualTo(VoteResult.VotePending);
        assertThat(THREE.voteResult(Map.of(1L, true, 2L, false))).isEqualTo(VoteResult.VotePending);
        assertThat(THREE.voteResult(Map.of(1L, false, 2L, false))).isEqualTo(VoteResult.VoteLost);
    }

    @Test
    void jointConfigNeedsBothHalves() {
        JointConfig joint = new JointConfig(MajorityConfig.of(1, 2, 3), MajorityConfig.of(3, 4, 5));
        assertThat(joint.committedIndex(MapAckIndexer.of(1, 10, 2, 10, 3, 10, 4, 2, 5, 2))).isEqualTo(2);
        assertThat(joint.voteResult(Map.of(1L, true, 2L, true))).isEqualTo(VoteResult.VotePending);
        assertThat(joint.voteResult(Map.of(1L, true, 2L, true, 4L, false, 5L, false))).isEqualTo(VoteResult.VoteLost);
        assertThat(joint.voteResult(Map.of(1L, true, 2L, true, 4L, true, 5L, true))).isEqualTo(VoteResult.VoteWon);
        assertThat(joint.ids()).isEqualTo(MajorityConfig.of(1, 2, 3, 4, 5));
    }
}
