package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.List;

/**
 * Everything a node asks the application to do at one point in time. The application must
 * handle it in this order (see {@code package-info}): persist {@code entries}, {@code hardState}
 * and {@code snapshot}; send {@code messages}; apply {@code snapshot} and
 * {@code committedEntries}; then call {@code advance}.
 *
 * @param softState        the new soft state, or {@code null} when it did not change
 * @param hardState        the hard state to persist; the empty instance when it did not change
 * @param readStates       ReadIndex answers that became available
 * @param entries          entries to persist before sending messages
 * @param snapshot         a snapshot to persist; the empty instance when there is none
 * @param committedEntries entries to apply; they were persisted by an earlier Ready
 * @param messages         messages to send once {@code entries} and {@code hardState} are
 *                         durable (with async storage writes: the local storage messages too)
 * @param mustSync         whether persisting needs a synchronous (fsync'd) write
 */
public record Ready(
        SoftState softState,
        HardState hardState,
        List<ReadState> readStates,
        List<Entry> entries,
        Snapshot snapshot,
        List<Entry> committedEntries,
        List<Message> messages,
        boolean mustSync) {

    private static final HardState EMPTY_HARD_STATE = HardState.getDefaultInstance();

    /** Whether a hard state carries nothing (etcd's IsEmptyHardState). */
    public static boolean isEmptyHardState(HardState state) {
        return state == null || isHardStateEqual(state, EMPTY_HARD_STATE);
    }

    /** Whether a snapshot is absent or empty (etcd's IsEmptySnap). */
    public static boolean isEmptySnap(Snapshot snapshot) {
        return snapshot == null || snapshot.getMetadata().getIndex() == 0;
    }

    static boolean isHardStateEqual(HardState a, HardState b) {
        return a.getTerm() == b.getTerm() && a.getVote() == b.getVote() && a.getCommit() == b.getCommit();
    }

    /**
     * Whether persisting this Ready must be synchronous: a vote or term change, or new
     * entries, must survive a crash before anything that depends on them leaves the node.
     */
    public static boolean mustSync(HardState state, HardState previous, int entryCount) {
        return entryCount != 0 || state.getVote() != previous.getVote() || state.getTerm() != previous.getTerm();
    }
}
