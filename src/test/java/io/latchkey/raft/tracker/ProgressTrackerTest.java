package io.latchkey.raft.tracker;

import io.latchkey.raft.quorum.VoteResult;
import io.latchkey.raft.raftpb.ConfState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTrackerTest {
    /** Voters 1-3 with the given matches, learner 4 far ahead (learners never count). */
    private static ProgressTracker tracker(long m1, long m2, long m3) {
        ProgressTracker t = new ProgressTracker(10, 0);
        long[] matches = {m1, m2, m3};
        for (int i = 0; i < 3; i++) {
            t.voters().incoming().add(i + 1);
            t.progress().put(i + 1L, progress(matches[i], false));
        }
        t.learners().add(4);
        t.progress().put(4L, progress(100, true));
        return t;
    }

    private static Progress progress(long match, boolean learner) {
        Progress p = new Progress();
        p.setMatch(match);
        p.setNext(match + 1);
        p.setIsLearner(learner);
        p.setInflights(new Inflights(10, 0));
        return p;
    }

    @Test
    void commitsWhatAMajorityOfVotersMatched() {
        assertThat(tracker(5, 7, 9).committed()).isEqualTo(7);
        ProgressTracker joint = tracker(5, 7, 9);
        joint.voters().outgoing().add(1);
        assertThat(joint.committed()).isEqualTo(5);
    }

    @Test
    void countsVotesOfVotersOnlyAndKeepsTheFirstVote() {
        ProgressTracker t = tracker(0, 0, 0);
        t.recordVote(1, true);
        t.recordVote(1, false);
        t.recordVote(4, true);
        assertThat(t.tallyVotes()).isEqualTo(new VoteTally(1, 0, VoteResult.VotePending));
        t.recordVote(2, false);
        t.recordVote(3, false);
        assertThat(t.tallyVotes()).isEqualTo(new VoteTally(1, 2, VoteResult.VoteLost));
        t.resetVotes();
        assertThat(t.tallyVotes()).isEqualTo(new VoteTally(0, 0, VoteResult.VotePending));
    }

    @Test
    void quorumIsActiveWhenAMajorityOfVotersWasHeardFrom() {
        ProgressTracker t = tracker(0, 0, 0);
        t.progress().get(4L).setRecentActive(true);
        t.progress().get(1L).setRecentActive(true);
        assertThat(t.quorumActive()).isFalse();
        t.progress().get(2L).setRecentActive(true);
        assertThat(t.quorumActive()).isTrue();
    }

    @Test
    void describesItsConfigurationAndVisitsPeersInIdOrder() {
        ProgressTracker t = tracker(0, 0, 0);
        t.voters().outgoing().add(1);
        t.voters().outgoing().add(2);
        t.voters().outgoing().add(5);
        t.progress().put(5L, progress(0, false));
        t.config().setAutoLeave(true);

        assertThat(t.confState()).isEqualTo(ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L))
                .addAllVotersOutgoing(List.of(1L, 2L, 5L)).addLearners(4).setAutoLeave(true).build());
        assertThat(t.config()).hasToString("voters=(1 2 3)&&(1 2 5) learners=(4) autoleave");
        assertThat(t.voterNodes()).containsExactly(1, 2, 3, 5);
        assertThat(t.learnerNodes()).containsExactly(4);
        assertThat(t.isSingleton()).isFalse();

        List<Long> visited = new ArrayList<>();
        t.visit((id, pr) -> visited.add(id));
        assertThat(visited).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void copiedConfigIsIndependent() {
        ProgressTracker t = tracker(0, 0, 0);
        TrackerConfig copy = t.config().copy();
        copy.voters().incoming().remove(1);
        copy.learnersNext().add(9);
        assertThat(t.config()).hasToString("voters=(1 2 3) learners=(4)");
        assertThat(copy).hasToString("voters=(2 3) learners=(4) learners_next=(9)");
    }
}
