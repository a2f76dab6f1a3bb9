package io.latchkey.node;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WriteStageTrackerTest {
    private long now;
    private final List<String> recorded = new ArrayList<>();
    private final List<Long> leaders = new ArrayList<>();
    private final List<String> peerRoundTrips = new ArrayList<>();
    private final WriteStageTracker tracker = new WriteStageTracker(() -> now,
            (stage, nanos) -> recorded.add(stage.tag() + "=" + nanos),
            new ReplicaEvents() {
                @Override
                public void leaderChanged(long leaderId) {
                    leaders.add(leaderId);
                }

                @Override
                public void peerRoundTrip(long peerId, long nanos) {
                    peerRoundTrips.add(peerId + "=" + nanos);
                }
            });

    @Test
    void leaderEntriesAreTimedFromAppendToCommitToApply() {
        now = 100;
        tracker.appending(5, true);
        now = 130;
        tracker.appending(6, true);
        now = 200;
        tracker.committing(5);
        now = 250;
        tracker.applied(5);
        now = 300;
        tracker.committing(6);
        tracker.applied(6);

        assertThat(recorded).containsExactly("replicate=100", "apply=50", "replicate=170", "apply=0");
    }

    @Test
    void followersEntriesAreNotReplicateSamples() {
        tracker.appending(5, false);
        tracker.committing(5);
        tracker.applied(5);

        assertThat(recorded).isEmpty();
    }

    @Test
    void peerRoundTripIsTimedPerFollowerUpToTheAcknowledgedIndex() {
        now = 10;
        tracker.sending(List.of(append(2, 4, 1), append(3, 4, 1), heartbeat(2)));
        now = 40;
        tracker.received(appResp(3, 5, false));
        now = 70;
        tracker.received(appResp(2, 4, true));
        tracker.received(appResp(2, 5, false));

        assertThat(recorded).containsExactly("peer-round-trip=30", "peer-round-trip=60");
        assertThat(peerRoundTrips).as("by peer, for the metric's peer tag").containsExactly("3=30", "2=60");
    }

    @Test
    void followerAckIsTimedFromTheStepToTheAcknowledgement() {
        now = 1_000;
        tracker.received(append(9, 10, 2));
        now = 1_400;
        tracker.sending(List.of(appResp(1, 12, false)));

        assertThat(recorded).containsExactly("follower-ack=400");
    }

    @Test
    void anOverwrittenTailIsForgottenAndALeaderChangeForgetsEverything() {
        now = 1;
        tracker.appending(7, true);
        now = 2;
        tracker.appending(6, true);
        tracker.leaderChanged(3);
        tracker.committing(7);

        assertThat(recorded).isEmpty();
        assertThat(leaders).containsExactly(3L);
    }

    private static Message append(long to, long prevIndex, int entries) {
        Message.Builder m = Message.newBuilder().setType(MessageType.MsgApp).setTo(to).setIndex(prevIndex);
        for (int i = 1; i <= entries; i++) {
            m.addEntries(Entry.newBuilder().setIndex(prevIndex + i));
        }
        return m.build();
    }

    private static Message appResp(long from, long index, boolean reject) {
        return Message.newBuilder().setType(MessageType.MsgAppResp).setFrom(from).setIndex(index).setReject(reject).build();
    }

    private static Message heartbeat(long to) {
        return Message.newBuilder().setType(MessageType.MsgHeartbeat).setTo(to).build();
    }
}
