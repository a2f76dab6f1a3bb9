package io.latchkey.raft;

import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static io.latchkey.raft.RaftTestSupport.newTestConfig;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static org.assertj.core.api.Assertions.assertThat;

/** The order of checks in {@code Raft.maybeSendAppend}, which follows etcd's {@code raft.go}. */
class RaftSendAppendTest {

    private static Raft leaderOver(MemoryStorage storage, Storage view) {
        storage.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setIndex(10).setTerm(1).setConfState(ConfState.newBuilder().addVoters(1).addVoters(2))).build());
        Raft r = new Raft(newTestConfig(1, 10, 1, view));
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        r.trk.progress().get(2L).setRecentActive(true);
        return r;
    }

    @Test
    void unreadableEntries_sendNothingWhenNothingHasToBeSent() {
        // Entries read as compacted while their terms still read: a compaction racing the leader.
        MemoryStorage storage = new MemoryStorage();
        AtomicBoolean compacted = new AtomicBoolean();
        Storage view = new NodeTestSupport.EntriesOverrideStorage(storage, (d, lo, hi, maxSize) -> {
            if (compacted.get()) {
                throw CompactedException.INSTANCE;
            }
            return d.entries(lo, hi, maxSize);
        });
        Raft r = leaderOver(storage, view);
        storage.append(r.raftLog.nextUnstableEnts());
        r.raftLog.acceptUnstable();
        r.raftLog.stableTo(r.raftLog.lastEntryID());
        compacted.set(true);

        assertThat(r.maybeSendAppend(2, false)).isFalse();
        assertThat(readMessages(r)).isEmpty();

        // A message that must go out (e.g. to carry the commit index) becomes a snapshot.
        assertThat(r.maybeSendAppend(2, true)).isTrue();
        assertThat(readMessages(r)).extracting(Message::getType).containsExactly(MessageType.MsgSnap);
    }
}
