package io.latchkey.raft;

import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.tracker.Progress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flow control of appends to a replicating follower (etcd's {@code raft_flow_control_test.go}):
 * the leader keeps at most {@code maxInflight} appends in flight and sends no more until
 * acknowledgements or heartbeat responses free the window.
 */
class RaftFlowControlTest {
    private Raft r;
    private Progress pr2;

    /** A two-node leader whose follower is replicating with a full in-flight window. */
    @BeforeEach
    void leaderWithFullWindowToFollower2() {
        r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        pr2 = r.trk.progress().get(2L);
        // Replicating, so every proposal goes out at once and occupies a slot.
        pr2.becomeReplicate();
        for (int i = 0; i < r.trk.maxInflight(); i++) {
            r.step(proposal(1, "somedata"));
            List<Message> ms = readMessages(r);
            assertThat(ms).hasSize(1);
            assertThat(ms.get(0).getType()).isEqualTo(MessageType.MsgApp);
        }
    }

    @Test
    void fullWindow_pausesTheFollowerAndHoldsBackFurtherProposals() {
        assertThat(pr2.isPaused()).isTrue();

        for (int i = 0; i < 10; i++) {
            r.step(proposal(1, "somedata"));
            assertThat(readMessages(r)).isEmpty();
        }
    }

    @Test
    void acknowledgement_freesSlotsUpToTheAcknowledgedIndex_olderOnesFreeNothing() {
        // Index 1 is the election entry and the first proposal is index 2, so acknowledgements
        // start there.
        for (int acked = 2; acked < r.trk.maxInflight(); acked++) {
            r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(acked).build());
            readMessages(r);

            // The freed slot takes exactly one new append, and the window is full again.
            r.step(proposal(1, "somedata"));
            List<Message> ms = readMessages(r);
            assertThat(ms).hasSize(1);
            assertThat(ms.get(0).getType()).isEqualTo(MessageType.MsgApp);
            assertThat(pr2.isPaused()).isTrue();

            // Acknowledgements of what is already acknowledged free nothing.
            for (int i = 0; i < acked; i++) {
                r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(i).build());
                assertThat(pr2.isPaused()).as("after a stale ack of %d", i).isTrue();
            }
        }
    }

    @Test
    void heartbeatResponse_letsOneEmptyAppendThroughAFullWindow() {
        for (int responses = 1; responses < 5; responses++) {
            // Each heartbeat response lets a single empty append probe the follower, after
            // which the follower is paused again.
            for (int i = 0; i < responses; i++) {
                assertThat(pr2.isPaused()).isTrue();
                r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
                List<Message> ms = readMessages(r);
                assertThat(ms).hasSize(1);
                assertThat(ms.get(0).getType()).isEqualTo(MessageType.MsgApp);
                assertThat(ms.get(0).getEntriesList()).isEmpty();
            }

            // Without heartbeat responses nothing more is sent.
            for (int i = 0; i < 10; i++) {
                assertThat(pr2.isPaused()).isTrue();
                r.step(proposal(1, "somedata"));
                assertThat(readMessages(r)).isEmpty();
            }

            // Flush what the next round does not care about.
            r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
            readMessages(r);
        }
    }
}
