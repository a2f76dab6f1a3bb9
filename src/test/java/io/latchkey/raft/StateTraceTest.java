package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.latchkey.raft.RaftTestSupport.addNode;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestConfig;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trace hook (etcd-io/raft {@code state_trace.go}): the events etcd's TLA+ trace validation
 * ({@code tla/Traceetcdraft.tla}) reads, at the places etcd emits them, in etcd's JSON.
 */
class StateTraceTest {

    private final List<TracingEvent> events = new ArrayList<>();

    private List<String> nodeAndName() {
        return events.stream().map(e -> e.nodeId() + " " + e.name()).toList();
    }

    @Test
    void startingNode_tracesInitStateThenItsConfigThenBecomeFollower_asEtcdWritesThem() {
        new Raft(newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3))).traceLogger(events::add));

        // The first line is byte for byte the one in etcd's tla/example.ndjson.
        assertThat(events).map(TracingEvent::toJson).containsExactly(
                "{\"name\":\"InitState\",\"nid\":\"1\",\"state\":{\"term\":0,\"vote\":\"0\",\"commit\":0},\"role\":\"StateFollower\",\"log\":0,\"conf\":[[],[]]}",
                "{\"name\":\"ApplyConfChange\",\"nid\":\"1\",\"state\":{\"term\":0,\"vote\":\"0\",\"commit\":0},\"role\":\"StateFollower\",\"log\":0,\"conf\":[[],[]],\"prop\":{\"cc\":{\"newconf\":[\"1\",\"2\",\"3\"]}}}",
                "{\"name\":\"BecomeFollower\",\"nid\":\"1\",\"state\":{\"term\":0,\"vote\":\"0\",\"commit\":0},\"role\":\"StateFollower\",\"log\":0,\"conf\":[[\"1\",\"2\",\"3\"],[]]}");
    }

    @Test
    void election_tracesVotesAndTheLeadersFirstAppend_inDeliveryOrder() {
        Network nt = Network.fresh(c -> c.traceLogger(events::add), 3);
        events.clear();

        nt.send(msg(1, 1, MessageType.MsgHup).build());

        assertThat(nodeAndName().subList(0, 20)).containsExactly(
                "1 BecomeCandidate",
                "1 SendRequestVoteResponse", // its own vote, held until durable
                "1 SendRequestVoteRequest",
                "1 SendRequestVoteRequest",
                "1 ReceiveRequestVoteResponse",
                "2 ReceiveRequestVoteRequest",
                "2 BecomeFollower",
                "2 SendRequestVoteResponse",
                "3 ReceiveRequestVoteRequest",
                "3 BecomeFollower",
                "3 SendRequestVoteResponse",
                "1 ReceiveRequestVoteResponse",
                "1 BecomeLeader",
                "1 Replicate", // the empty entry of the new term
                "1 SendAppendEntriesResponse", // the leader's self-acknowledgement
                "1 SendAppendEntriesRequest",
                "1 SendAppendEntriesRequest",
                "1 ReceiveAppendEntriesResponse",
                "1 Commit", // traced on every attempt, as etcd's deferred call does
                "1 ReceiveRequestVoteResponse");
        TracingEvent vote = events.get(2);
        assertThat(vote.toJson()).isEqualTo(
                "{\"name\":\"SendRequestVoteRequest\",\"nid\":\"1\",\"state\":{\"term\":1,\"vote\":\"1\",\"commit\":0},\"role\":\"StateCandidate\",\"log\":0,\"conf\":[[\"1\",\"2\",\"3\"],[]],"
                        + "\"msg\":{\"type\":\"MsgVote\",\"term\":1,\"from\":\"1\",\"to\":\"2\",\"entries\":0,\"logTerm\":0,\"index\":0,\"commit\":0,\"vote\":\"0\",\"reject\":false,\"rejectHint\":0}}");
        TracingEvent append = events.get(15);
        assertThat(append.toJson()).endsWith(
                "\"msg\":{\"type\":\"MsgApp\",\"term\":1,\"from\":\"1\",\"to\":\"2\",\"entries\":1,\"logTerm\":0,\"index\":0,\"commit\":0,\"vote\":\"0\",\"reject\":false,\"rejectHint\":0},"
                        + "\"prop\":{\"match\":0,\"next\":1}}");
        assertThat(events).last().extracting(TracingEvent::name, TracingEvent::role, e -> e.state().commit())
                .containsExactly("ReceiveAppendEntriesResponse", "StateLeader", 1L);
    }

    @Test
    void proposedAndAppliedConfChange_tracesChangeConfThenApplyConfChange() {
        Raft r = new Raft(newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1, 2))).traceLogger(events::add));
        r.becomeCandidate();
        r.becomeLeader();
        events.clear();

        ConfChangeV2 cc = addNode(3);
        r.step(msg(1, 1, MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(EntryType.EntryConfChangeV2).setData(cc.toByteString()))
                .build());
        r.applyConfChange(cc);

        // A proposal is local (MsgProp is not traced), and a conf change entry is traced as
        // ChangeConf, not as Replicate; applying it traces the new voters.
        assertThat(nodeAndName()).containsExactly(
                "1 ChangeConf",
                "1 SendAppendEntriesResponse",
                "1 SendAppendEntriesRequest",
                "1 ApplyConfChange",
                "1 Commit",
                "1 SendAppendEntriesRequest");
        assertThat(events.getFirst().toJson()).endsWith(
                "\"prop\":{\"cc\":{\"changes\":[{\"nid\":\"3\",\"action\":\"AddNewServer\"}]}}}");
        TracingEvent applied = events.stream().filter(e -> e.name().equals("ApplyConfChange")).findFirst().orElseThrow();
        assertThat(applied.conf()).containsExactly(List.of("1", "2"), List.of());
        assertThat(applied.toJson()).endsWith("\"prop\":{\"cc\":{\"newconf\":[\"1\",\"2\",\"3\"]}}}");
    }

    @Test
    void updateNodeChange_isNotTraced_asInEtcd() {
        Raft r = new Raft(newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1, 2))).traceLogger(events::add));
        r.becomeCandidate();
        r.becomeLeader();
        events.clear();

        ConfChangeV2 update = ConfChangeV2.newBuilder().addChanges(
                io.latchkey.raft.raftpb.ConfChangeSingle.newBuilder().setType(ConfChangeType.ConfChangeUpdateNode).setNodeId(2)).build();
        r.step(msg(1, 1, MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(EntryType.EntryConfChangeV2).setData(update.toByteString()))
                .build());

        assertThat(nodeAndName()).doesNotContain("1 ChangeConf", "1 Replicate");
    }

    @Test
    void handingOutReady_tracesReady() {
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).traceLogger(events::add));
        rn.campaign();
        events.clear();

        rn.ready();

        assertThat(nodeAndName()).containsExactly("1 Ready");
        // Its own vote is not durable before this Ready is handled, so it is still a candidate.
        assertThat(events.getFirst()).extracting(TracingEvent::role, e -> e.state().term())
                .containsExactly("StateCandidate", 1L);
    }

    @Test
    void snapshotMessage_carriesTheSnapshotIndexAsItsEntryCount() {
        Raft r = new Raft(newTestConfig(2, 10, 1, newTestMemoryStorage(withPeers(1, 2))).traceLogger(events::add));
        events.clear();

        r.step(msg(1, 2, MessageType.MsgSnap).setTerm(1).setSnapshot(io.latchkey.raft.raftpb.Snapshot.newBuilder()
                .setMetadata(io.latchkey.raft.raftpb.SnapshotMetadata.newBuilder().setIndex(11).setTerm(1)
                        .setConfState(io.latchkey.raft.raftpb.ConfState.newBuilder().addVoters(1).addVoters(2))))
                .build());

        TracingEvent received = events.getFirst();
        assertThat(received.name()).isEqualTo("ReceiveAppendEntriesRequest");
        assertThat(received.message()).extracting(TracingEvent.TracingMessage::type, TracingEvent.TracingMessage::entries,
                TracingEvent.TracingMessage::index, TracingEvent.TracingMessage::logTerm).containsExactly("MsgSnap", 11, 0L, 0L);
    }

    @Test
    void withoutTraceLogger_nothingIsTraced() {
        Config c = newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        assertThat(c.traceLogger()).isNull();
        Raft r = new Raft(c);
        assertThat(r.traceLogger).isNull();
    }
}
