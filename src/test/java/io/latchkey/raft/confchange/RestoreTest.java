package io.latchkey.raft.confchange;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.ConfStates;
import io.latchkey.raft.tracker.ProgressTracker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Restoring a ConfState and reading it back from the tracker gives the same ConfState. */
class RestoreTest {
    @Test
    void restoresHandPickedConfigurations() throws ConfChangeException {
        roundTrip(ConfState.newBuilder().setAutoLeave(false).build());
        roundTrip(ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).setAutoLeave(false).build());
        roundTrip(ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addAllLearners(List.of(4L, 5L, 6L))
                .setAutoLeave(false).build());
        // Joint: 3 joins, 4 is demoted to learner, 6 leaves, 5 is a new learner.
        roundTrip(ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addLearners(5)
                .addAllVotersOutgoing(List.of(1L, 2L, 4L, 6L)).addLearnersNext(4).setAutoLeave(false).build());
    }

    @Test
    void restoresRandomValidConfigurations() throws ConfChangeException {
        Random rnd = new Random(42);
        for (int i = 0; i < 1000; i++) {
            roundTrip(randomConfState(rnd));
        }
    }

    @Test
    void leavesTheCallersTrackerAlone() throws ConfChangeException {
        ProgressTracker tracker = new ProgressTracker(20, 0);
        Restore.restore(new Changer(tracker, 10), ConfState.newBuilder().addVoters(1).build());
        assertThat(tracker.progress()).isEmpty();
        assertThat(tracker.voters().incoming().isEmpty()).isTrue();
    }

    private static void roundTrip(ConfState cs) throws ConfChangeException {
        ProgressTracker tracker = new ProgressTracker(20, 0);
        ChangeResult result = Restore.restore(new Changer(tracker, 10), cs);
        tracker.setConfig(result.config());
        tracker.setProgress(result.progress());

        ConfState sorted = ConfState.newBuilder()
                .addAllVoters(cs.getVotersList().stream().sorted().toList())
                .addAllLearners(cs.getLearnersList().stream().sorted().toList())
                .addAllVotersOutgoing(cs.getVotersOutgoingList().stream().sorted().toList())
                .addAllLearnersNext(cs.getLearnersNextList().stream().sorted().toList())
                .setAutoLeave(cs.getAutoLeave())
                .build();
        ConfState back = tracker.confState();
        assertThat(back).isEqualTo(sorted);
        assertThatCode(() -> ConfStates.equivalent(cs, back)).doesNotThrowAnyException();
        assertThatCode(() -> ConfStates.equivalent(back, cs)).doesNotThrowAnyException();
    }

    /**
     * A valid, non-empty ConfState: 1-5 voters, 0-4 learners and, when joint, outgoing voters
     * made of some incoming voters plus 0-2 removed ones, of which some may be demoted to
     * learners (learners_next). Ids never overlap between the roles.
     */
    private static ConfState randomConfState(Random rnd) {
        int nVoters = 1 + rnd.nextInt(5);
        int nLearners = rnd.nextInt(5);
        int nRemoved = rnd.nextInt(3);
        List<Long> ids = new ArrayList<>();
        for (long id = 1; id <= 2L * (nVoters + nLearners + nRemoved); id++) {
            ids.add(id);
        }
        Collections.shuffle(ids, rnd);

        List<Long> voters = ids.subList(0, nVoters);
        List<Long> learners = ids.subList(nVoters, nVoters + nLearners);
        List<Long> removed = ids.subList(nVoters + nLearners, nVoters + nLearners + nRemoved);
        ConfState.Builder cs = ConfState.newBuilder().addAllVoters(voters).addAllLearners(learners);

        int retained = rnd.nextInt(nVoters + 1);
        cs.addAllVotersOutgoing(voters.subList(0, retained)).addAllVotersOutgoing(removed);
        if (nRemoved > 0) {
            cs.addAllLearnersNext(removed.subList(0, rnd.nextInt(nRemoved + 1)));
        }
        return cs.setAutoLeave(cs.getVotersOutgoingCount() > 0 && rnd.nextBoolean()).build();
    }
}
