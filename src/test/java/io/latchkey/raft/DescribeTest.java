package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static io.latchkey.raft.NodeTestSupport.bytes;
import static org.assertj.core.api.Assertions.assertThat;

/** The Describe* debug forms and message classification, ported from etcd-io/raft util_test.go. */
class DescribeTest {
    private static final Describe.EntryFormatter UPPER = data -> data.toStringUtf8().toUpperCase();

    @Test
    void entryIsQuotedLikeGoByDefaultAndFormattedOnRequest() {
        Entry entry = Entry.newBuilder().setTerm(1).setIndex(2).setType(EntryType.EntryNormal)
                .setData(bytes("hello\u0000world")).build();
        assertThat(Describe.describeEntry(entry, null)).isEqualTo("1/2 EntryNormal \"hello\\x00world\"");
        assertThat(Describe.describeEntry(entry, UPPER)).isEqualTo("1/2 EntryNormal HELLO\u0000WORLD");
    }

    @Test
    void hardStateOmitsAnUnsetVote() {
        assertThat(Describe.describeHardState(HardState.newBuilder().setTerm(2).setCommit(5).build()))
                .isEqualTo("Term:2 Commit:5");
        assertThat(Describe.describeHardState(HardState.newBuilder().setTerm(2).setVote(3).setCommit(5).build()))
                .isEqualTo("Term:2 Vote:3 Commit:5");
    }

    @Test
    void messageNamesLocalTargetsAndNestsResponses() {
        Message m = Message.newBuilder().setType(MessageType.MsgStorageAppend).setFrom(1).setTo(Raft.LOCAL_APPEND_THREAD)
                .setTerm(2).setVote(1).setCommit(3)
                .addEntries(Entry.newBuilder().setTerm(2).setIndex(4).setData(bytes("x")))
                .addResponses(Message.newBuilder().setType(MessageType.MsgStorageAppendResp).setFrom(Raft.LOCAL_APPEND_THREAD)
                        .setTo(1).setTerm(2).setLogTerm(2).setIndex(4))
                .build();
        assertThat(Describe.describeMessage(m, null)).isEqualTo(
                "1->AppendThread MsgStorageAppend Term:2 Log:0/0 Commit:3 Vote:1 Entries:[2/4 EntryNormal \"x\"] Responses:[\n"
                        + "  AppendThread->1 MsgStorageAppendResp Term:2 Log:2/4\n"
                        + "]");
    }

    @Test
    void emptyReadyHasItsOwnForm() {
        Ready rd = NodeTestSupport.ready(null, List.of(), List.of(), false);
        assertThat(Describe.describeReady(rd, null)).isEqualTo("<empty Ready>");
    }

    private static final Set<MessageType> LOCAL = EnumSet.of(MessageType.MsgHup, MessageType.MsgBeat,
            MessageType.MsgUnreachable, MessageType.MsgSnapStatus, MessageType.MsgCheckQuorum,
            MessageType.MsgStorageAppend, MessageType.MsgStorageAppendResp, MessageType.MsgStorageApply,
            MessageType.MsgStorageApplyResp);

    private static final Set<MessageType> RESPONSE = EnumSet.of(MessageType.MsgUnreachable, MessageType.MsgAppResp,
            MessageType.MsgVoteResp, MessageType.MsgHeartbeatResp, MessageType.MsgReadIndexResp,
            MessageType.MsgPreVoteResp, MessageType.MsgStorageAppendResp, MessageType.MsgStorageApplyResp);

    /** Local messages are the ones raft makes for itself and its storage threads, never a peer. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(MessageType.class)
    void localMessagesAreClassified(MessageType type) {
        assertThat(Describe.isLocalMsg(type)).isEqualTo(LOCAL.contains(type));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(MessageType.class)
    void responseMessagesAreClassified(MessageType type) {
        assertThat(Describe.isResponseMsg(type)).isEqualTo(RESPONSE.contains(type));
    }
}
