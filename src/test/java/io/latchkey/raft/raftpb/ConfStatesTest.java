package io.latchkey.raft.raftpb;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfStatesTest {
    private static ConfState voters(Long... ids) {
        return ConfState.newBuilder().addAllVoters(List.of(ids)).build();
    }

    @Test
    void orderOfIdsDoesNotMatter() {
        ConfState a = ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addAllLearners(List.of(5L, 4L, 6L))
                .addAllVotersOutgoing(List.of(9L, 8L, 7L)).addAllLearnersNext(List.of(10L, 20L, 15L)).build();
        ConfState b = ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addAllLearners(List.of(4L, 5L, 6L))
                .addAllVotersOutgoing(List.of(7L, 9L, 8L)).addAllLearnersNext(List.of(20L, 10L, 15L)).build();
        assertThatCode(() -> ConfStates.equivalent(a, b)).doesNotThrowAnyException();
    }

    @Test
    void unsetAutoLeaveCountsAsFalse() {
        assertThatCode(() -> ConfStates.equivalent(ConfState.newBuilder().setAutoLeave(false).build(),
                ConfState.getDefaultInstance())).doesNotThrowAnyException();
        assertThatThrownBy(() -> ConfStates.equivalent(ConfState.newBuilder().setAutoLeave(true).build(),
                ConfState.getDefaultInstance())).hasMessageStartingWith("ConfStates not equivalent after sorting:\n");
    }

    @Test
    void differentMembersAreNotEquivalent() {
        assertThatThrownBy(() -> ConfStates.equivalent(voters(1L, 2L, 3L, 4L), voters(2L, 1L, 3L)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ConfStates.equivalent(voters(1L, 4L, 3L), voters(2L, 1L, 3L)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void missingStatesAreReported() {
        assertThatThrownBy(() -> ConfStates.equivalent(null, voters(1L)))
                .hasMessage("cannot compare ConfState: nil input (left=true, right=false)");
    }
}
