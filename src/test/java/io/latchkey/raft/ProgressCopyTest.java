package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.tracker.Progress;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static io.latchkey.raft.RaftTestSupport.msg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the library hands out of the leader's progress cannot reach its flow control: a
 * {@link Status} carries a copy of each inflight window, {@link RawNode#withProgress} none
 * (etcd's {@code getProgressCopy} and {@code WithProgress}).
 */
class ProgressCopyTest {

    /** A leader with one append to 2 in flight (2 never answers). */
    private static Raft leaderWithAppendInFlight() {
        Network nt = Network.fresh(2);
        nt.send(msg(1, 1, MessageType.MsgHup).build());
        nt.isolate(2);
        Raft leader = nt.raft(1);
        leader.trk.progress().get(2L).becomeReplicate();
        nt.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());
        assertThat(leader.trk.progress().get(2L).inflights().count()).isEqualTo(1);
        return leader;
    }

    @Test
    void statusHandsOutACopyOfTheInflightWindow() {
        Raft leader = leaderWithAppendInFlight();
        Progress handedOut = Status.of(leader).progress().get(2L);

        handedOut.inflights().freeLE(Long.MAX_VALUE);
        handedOut.inflights().add(100, 1);
        handedOut.inflights().add(101, 1);

        assertThat(leader.trk.progress().get(2L).inflights().count()).isEqualTo(1);
        assertThat(Status.of(leader).progress().get(2L).toString()).contains("inflight=1");
    }

    @Test
    void withProgressHandsOutNoInflightWindow() {
        NodeTestSupport.RawNodeCluster nt = NodeTestSupport.RawNodeCluster.of(2, c -> { });
        nt.elect(1);
        nt.isolate(2);
        RawNode leader = nt.node(1);
        leader.propose(NodeTestSupport.bytes("x"));
        Progress live = leader.raft().trk.progress().get(2L);
        assertThat(live.inflights().count()).isPositive();

        Map<Long, Progress> seen = new HashMap<>();
        leader.withProgress((id, type, pr) -> seen.put(id, pr));

        assertThat(seen.get(2L).inflights()).isNull();
        assertThat(seen.get(2L).next()).isEqualTo(live.next());
        assertThat(seen.get(2L).toString()).doesNotContain("inflight");
    }
}
