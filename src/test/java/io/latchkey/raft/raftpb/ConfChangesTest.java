package io.latchkey.raft.raftpb;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latchkey.raft.raftpb.ConfChangeTransition.ConfChangeTransitionAuto;
import static io.latchkey.raft.raftpb.ConfChangeTransition.ConfChangeTransitionJointExplicit;
import static io.latchkey.raft.raftpb.ConfChangeTransition.ConfChangeTransitionJointImplicit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfChangesTest {
    private static final ConfChangeSingle ADD = ConfChangeSingle.newBuilder()
            .setType(ConfChangeType.ConfChangeAddNode).setNodeId(0).build();
    private static final ConfChangeSingle REMOVE = ConfChangeSingle.newBuilder()
            .setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(0).build();

    @Test
    void onlyTheEmptyAutoChangeLeavesAJointConfigWhateverItsContext() {
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.getDefaultInstance())).isTrue();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().setTransition(ConfChangeTransitionAuto).build())).isTrue();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().setTransition(ConfChangeTransitionAuto)
                .setContext(ByteString.copyFromUtf8("some context")).build())).isTrue();

        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().addChanges(ADD).build())).isFalse();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().setTransition(ConfChangeTransitionJointImplicit).build())).isFalse();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().setTransition(ConfChangeTransitionJointExplicit).build())).isFalse();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.newBuilder().addChanges(ADD).addChanges(REMOVE).build())).isFalse();
    }

    @Test
    void jointConsensusIsUsedForSeveralChangesOrWhenAskedFor() {
        ConfChangeV2 single = ConfChangeV2.newBuilder().addChanges(ADD).build();
        assertThat(ConfChanges.enterJoint(single)).isFalse();
        assertThat(ConfChanges.autoLeave(single)).isFalse();

        ConfChangeV2 double_ = ConfChangeV2.newBuilder().addChanges(ADD).addChanges(REMOVE).build();
        assertThat(ConfChanges.enterJoint(double_)).isTrue();
        assertThat(ConfChanges.autoLeave(double_)).isTrue();

        ConfChangeV2 implicit = single.toBuilder().setTransition(ConfChangeTransitionJointImplicit).build();
        assertThat(ConfChanges.enterJoint(implicit)).isTrue();
        assertThat(ConfChanges.autoLeave(implicit)).isTrue();

        ConfChangeV2 explicit = single.toBuilder().setTransition(ConfChangeTransitionJointExplicit).build();
        assertThat(ConfChanges.enterJoint(explicit)).isTrue();
        assertThat(ConfChanges.autoLeave(explicit)).isFalse();
    }

    @Test
    void legacyChangesConvertToASingleV2Change() {
        ConfChange v1 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(7)
                .setContext(ByteString.copyFromUtf8("ctx")).build();
        ConfChangeI cc = ConfChangeI.of(v1);
        assertThat(cc.asV1()).isSameAs(v1);
        assertThat(cc.asV2().getChangesList()).containsExactly(ConfChangeSingle.newBuilder()
                .setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(7).build());
        assertThat(cc.asV2().getContext().toStringUtf8()).isEqualTo("ctx");

        ConfChangeV2 v2 = ConfChangeV2.newBuilder().addChanges(ADD).build();
        assertThat(ConfChangeI.of(v2).asV1()).isNull();
        assertThat(ConfChangeI.of(v2).asV2()).isSameAs(v2);
    }

    @Test
    void marshalPicksTheEntryTypeOfTheChangeKind() throws InvalidProtocolBufferException {
        ConfChange v1 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(3).build();
        ConfChanges.Marshaled m1 = ConfChanges.marshal(ConfChangeI.of(v1));
        assertThat(m1.type()).isEqualTo(EntryType.EntryConfChange);
        assertThat(ConfChange.parseFrom(m1.data())).isEqualTo(v1);

        ConfChangeV2 v2 = ConfChangeV2.newBuilder().addChanges(ADD).addChanges(REMOVE).build();
        ConfChanges.Marshaled m2 = ConfChanges.marshal(ConfChangeI.of(v2));
        assertThat(m2.type()).isEqualTo(EntryType.EntryConfChangeV2);
        assertThat(ConfChangeV2.parseFrom(m2.data())).isEqualTo(v2);

        ConfChanges.Marshaled none = ConfChanges.marshal(null);
        assertThat(none.type()).isEqualTo(EntryType.EntryConfChangeV2);
        assertThat(none.data().isEmpty()).isTrue();
        assertThat(ConfChanges.leaveJoint(ConfChangeV2.parseFrom(none.data()))).isTrue();
    }

    @Test
    void stringFormRoundTrips() {
        List<ConfChangeSingle> ccs = ConfChanges.fromString("  v1 l2 r3 u4 ");
        assertThat(ccs).extracting(ConfChangeSingle::getType).containsExactly(
                ConfChangeType.ConfChangeAddNode, ConfChangeType.ConfChangeAddLearnerNode,
                ConfChangeType.ConfChangeRemoveNode, ConfChangeType.ConfChangeUpdateNode);
        assertThat(ccs).extracting(ConfChangeSingle::getNodeId).containsExactly(1L, 2L, 3L, 4L);
        assertThat(ConfChanges.toString(ccs)).isEqualTo("v1 l2 r3 u4");
        assertThat(ConfChanges.fromString("   ")).isEmpty();
    }

    @Test
    void malformedStringsFailWithEtcdsMessages() {
        assertThatThrownBy(() -> ConfChanges.fromString("v")).hasMessage("unknown token v");
        assertThatThrownBy(() -> ConfChanges.fromString("x1")).hasMessage("unknown input: x1");
        assertThatThrownBy(() -> ConfChanges.fromString("vx")).hasMessage("strconv.ParseUint: parsing \"x\": invalid syntax");
        assertThatThrownBy(() -> ConfChanges.fromString("v1  v2")).hasMessage("unknown token ");
        assertThatThrownBy(() -> ConfChanges.fromString("v99999999999999999999"))
                .hasMessage("strconv.ParseUint: parsing \"99999999999999999999\": value out of range");
    }
}
