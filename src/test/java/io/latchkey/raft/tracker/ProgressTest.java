package io.latchkey.raft.tracker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.latchkey.raft.tracker.ProgressState.StateProbe;
import static io.latchkey.raft.tracker.ProgressState.StateReplicate;
import static io.latchkey.raft.tracker.ProgressState.StateSnapshot;
import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    private static Progress progress(ProgressState state, long match, long next) {
        Progress p = new Progress();
        p.setState(state);
        p.setMatch(match);
        p.setNext(next);
        p.setInflights(new Inflights(256, 0));
        return p;
    }

    @Test
    void printsEveryNotableConditionLikeEtcd() {
        Inflights ins = new Inflights(1, 0);
        ins.add(123, 1);
        Progress p = progress(StateSnapshot, 1, 2);
        p.setPendingSnapshot(123);
        p.setRecentActive(false);
        p.setMsgAppFlowPaused(true);
        p.setIsLearner(true);
        p.setInflights(ins);
        assertThat(p).hasToString("StateSnapshot match=1 next=2 learner paused pendingSnap=123 inactive inflight=1[full]");

        Progress plain = progress(StateReplicate, 5, 6);
        plain.setRecentActive(true);
        assertThat(plain).hasToString("StateReplicate match=5 next=6");
    }

    @ParameterizedTest
    @CsvSource({
            "StateProbe,     false, false",
            "StateProbe,     true,  true",
            "StateReplicate, false, false",
            "StateReplicate, true,  true",
            "StateSnapshot,  false, true",
            "StateSnapshot,  true,  true",
    })
    void snapshotAlwaysPausesOtherStatesOnlyWhenFlowIsPaused(ProgressState state, boolean paused, boolean expected) {
        Progress p = progress(state, 0, 1);
        p.setMsgAppFlowPaused(paused);
        assertThat(p.isPaused()).isEqualTo(expected);
    }

    @Test
    void acknowledgementsAndRejectionsResumeAPausedFlow() {
        Progress p = progress(StateProbe, 0, 2);
        p.setMsgAppFlowPaused(true);
        p.maybeDecrTo(1, 1);
        assertThat(p.msgAppFlowPaused()).isFalse();
        p.setMsgAppFlowPaused(true);
        p.maybeUpdate(2);
        assertThat(p.msgAppFlowPaused()).isFalse();
    }

    @Test
    void probingRestartsAfterMatchOrAfterADeliveredSnapshot() {
        Progress replicating = progress(StateReplicate, 1, 5);
        replicating.becomeProbe();
        assertThat(replicating.state()).isEqualTo(StateProbe);
        assertThat(replicating.match()).isEqualTo(1);
        assertThat(replicating.next()).isEqualTo(2);

        Progress snapshotDone = progress(StateSnapshot, 1, 5);
        snapshotDone.setPendingSnapshot(10);
        snapshotDone.becomeProbe();
        assertThat(snapshotDone.next()).isEqualTo(11);

        Progress snapshotFailed = progress(StateSnapshot, 1, 5);
        snapshotFailed.becomeProbe();
        assertThat(snapshotFailed.next()).isEqualTo(2);
    }

    @Test
    void replicationStartsRightAfterMatch() {
        Progress p = progress(StateProbe, 1, 5);
        p.becomeReplicate();
        assertThat(p.state()).isEqualTo(StateReplicate);
        assertThat(p.match()).isEqualTo(1);
        assertThat(p.next()).isEqualTo(2);
    }

    @Test
    void snapshotRemembersItsIndexAndSendsFromJustAfterIt() {
        Progress p = progress(StateProbe, 1, 5);
        p.becomeSnapshot(10);
        assertThat(p.state()).isEqualTo(StateSnapshot);
        assertThat(p.match()).isEqualTo(1);
        assertThat(p.pendingSnapshot()).isEqualTo(10);
        assertThat(p.next()).isEqualTo(11);
        assertThat(p.sentCommit()).isEqualTo(10);
    }

    @ParameterizedTest(name = "ack {0}: match {1}, next {2}, updated {3}")
    @CsvSource({
            "2, 3, 5, false", // older than match: nothing moves
            "3, 3, 5, false", // equal to match: nothing moves
            "4, 4, 5, true",  // match moves, next already ahead
            "5, 5, 6, true",  // both move
    })
    void updatesNeverMoveBackwards(long ack, long wantMatch, long wantNext, boolean wantUpdated) {
        Progress p = progress(StateProbe, 3, 5);
        assertThat(p.maybeUpdate(ack)).isEqualTo(wantUpdated);
        assertThat(p.match()).isEqualTo(wantMatch);
        assertThat(p.next()).isEqualTo(wantNext);
    }

    @ParameterizedTest(name = "{0} match={1} next={2} rejected={3} hint={4}")
    @CsvSource({
            "StateReplicate, 5, 10, 5, 5, false, 10", // rejection at match is stale
            "StateReplicate, 5, 10, 4, 4, false, 10", // rejection below match is stale
            "StateReplicate, 5, 10, 9, 9, true,   6", // genuine: back to match+1
            "StateProbe,     0,  0, 0, 0, false,  0", // not the outstanding probe
            "StateProbe,     0, 10, 5, 5, false, 10", // not the outstanding probe
            "StateProbe,     0, 10, 9, 9, true,   9", // step back by one
            "StateProbe,     0,  2, 1, 1, true,   1",
            "StateProbe,     0,  1, 0, 0, true,   1", // never below match+1
            "StateProbe,     0, 10, 9, 2, true,   3", // jump to hint+1
            "StateProbe,     0, 10, 9, 0, true,   1",
    })
    void rejectionsMoveNextBackUnlessStale(ProgressState state, long match, long next, long rejected, long hint,
                                           boolean wantDecreased, long wantNext) {
        Progress p = progress(state, match, next);
        assertThat(p.maybeDecrTo(rejected, hint)).isEqualTo(wantDecreased);
        assertThat(p.match()).isEqualTo(match);
        assertThat(p.next()).isEqualTo(wantNext);
    }

    @Test
    void replicatingFillsTheWindowAndPausesWhenItIsFull() {
        Progress p = progress(StateReplicate, 0, 1);
        p.setInflights(new Inflights(2, 0));
        p.sentEntries(3, 30);
        assertThat(p.next()).isEqualTo(4);
        assertThat(p.msgAppFlowPaused()).isFalse();
        p.sentEntries(1, 10);
        assertThat(p.msgAppFlowPaused()).isTrue();
        assertThat(p.inflights().count()).isEqualTo(2);
    }

    @Test
    void progressMapPrintsOneLinePerPeerInIdOrder() {
        ProgressMap m = new ProgressMap();
        Progress a = progress(StateProbe, 0, 1);
        a.setRecentActive(true);
        m.put(10L, a);
        m.put(2L, progress(StateReplicate, 3, 4));
        assertThat(m).hasToString("2: StateReplicate match=3 next=4 inactive\n10: StateProbe match=0 next=1\n");
        assertThat(m.ackedIndex(2)).isEqualTo(3);
        assertThat(m.ackedIndex(3)).isEqualTo(io.latchkey.raft.quorum.AckedIndexer.NOT_FOUND);
    }
}
