package io.latchkey.raft.raftpb;

/** Helpers for {@link ConfState} (etcd's raftpb/confstate.go). */
public final class ConfStates {
    private ConfStates() {
    }

    /**
     * Checks that the two states describe the same configuration: the id lists may be in any
     * order, and an unset auto_leave counts as false. Otherwise throws
     * {@link IllegalStateException} showing both normalised states and the inputs; the layout
     * follows etcd's, though the states print in protobuf's Java text form rather than Go's.
     */
    public static void equivalent(ConfState cs, ConfState cs2) {
        if (cs == null || cs2 == null) {
            throw new IllegalStateException(String.format(
                    "cannot compare ConfState: nil input (left=%s, right=%s)", cs == null, cs2 == null));
        }
        ConfState n1 = normalize(cs);
        ConfState n2 = normalize(cs2);
        if (!n1.equals(n2)) {
            throw new IllegalStateException(String.format(
                    "ConfStates not equivalent after sorting:\n%s\n%s\nInputs were:\n%s\n%s",
                    oneLine(n1), oneLine(n2), oneLine(cs), oneLine(cs2)));
        }
    }

    private static ConfState normalize(ConfState cs) {
        return ConfState.newBuilder()
                .addAllVoters(cs.getVotersList().stream().sorted(Long::compareUnsigned).toList())
                .addAllLearners(cs.getLearnersList().stream().sorted(Long::compareUnsigned).toList())
                .addAllVotersOutgoing(cs.getVotersOutgoingList().stream().sorted(Long::compareUnsigned).toList())
                .addAllLearnersNext(cs.getLearnersNextList().stream().sorted(Long::compareUnsigned).toList())
                .setAutoLeave(cs.getAutoLeave())
                .build();
    }

    private static String oneLine(ConfState cs) {
        return "{" + cs.toString().strip().replace('\n', ' ') + "}";
    }
}
