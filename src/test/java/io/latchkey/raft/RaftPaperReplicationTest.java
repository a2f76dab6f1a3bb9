package io.latchkey.raft;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.Network.BLACK_HOLE;
import static io.latchkey.raft.RaftTestSupport.acceptAndReply;
import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.commitNoopEntry;
import static io.latchkey.raft.RaftTestSupport.entry;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.idsBySize;
import static io.latchkey.raft.RaftTestSupport.ltoa;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.sortedByRecipient;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.RaftTestSupport.withoutDefaults;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The Raft paper's rules on log replication (§5.3) and on committing entries of earlier terms
 * (§5.4.2), checked one sentence at a time against a state machine driven by hand (the second
 * half of etcd's {@code raft_paper_test.go}).
 */
class RaftPaperReplicationTest {

    private static final String DATA = "some data";

    /** A leader of term 1 over {@code s} whose election entry is committed, applied and stable. */
    private static Raft leaderWithCommittedNoop(MemoryStorage s) {
        Raft r = newTestRaft(1, 10, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        commitNoopEntry(r, s);
        return r;
    }

    // ---------------------------------------------------------------- §5.3 log replication

    @Test
    void leader_appendsAProposalAndSendsItToEveryFollowerAfterThePrecedingEntry() {
        // Raft paper §5.3: the leader appends a client proposal to its log and replicates it
        // with AppendEntries in parallel, naming the index and term of the entry just before
        // the new one. The new entry is also due for stable storage.
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = leaderWithCommittedNoop(s);
        long li = r.raftLog.lastIndex();

        r.step(proposal(1, DATA));

        assertThat(r.raftLog.lastIndex()).isEqualTo(li + 1);
        assertThat(r.raftLog.committed).isEqualTo(li);
        Entry want = entry(1, li + 1, DATA);
        assertThat(withoutDefaults(sortedByRecipient(readMessages(r)))).containsExactly(
                msg(1, 2, MessageType.MsgApp).setTerm(1).setIndex(li).setLogTerm(1).addEntries(want).setCommit(li).build(),
                msg(1, 3, MessageType.MsgApp).setTerm(1).setIndex(li).setLogTerm(1).addEntries(want).setCommit(li).build());
        assertThat(withoutDefaults(r.raftLog.nextUnstableEnts())).containsExactly(want);
    }

    @Test
    void leader_releasesAReplicatedEntryForApplyingAndTellsTheFollowersItIsCommitted() {
        // Raft paper §5.3: once an entry is safely replicated the leader hands it out to be
        // applied, and later appends carry the new commit index to the followers.
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = leaderWithCommittedNoop(s);
        long li = r.raftLog.lastIndex();
        r.step(proposal(1, DATA));

        for (Message m : readMessages(r)) {
            r.step(acceptAndReply(m));
        }

        assertThat(r.raftLog.committed).isEqualTo(li + 1);
        assertThat(withoutDefaults(r.raftLog.nextCommittedEnts(true))).containsExactly(entry(1, li + 1, DATA));
        List<Message> msgs = sortedByRecipient(readMessages(r));
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            assertThat(m.getTo()).as("#%d", i).isEqualTo(i + 2);
            assertThat(m.getType()).as("#%d", i).isEqualTo(MessageType.MsgApp);
            assertThat(m.getCommit()).as("#%d", i).isEqualTo(li + 1);
        }
    }

    static Stream<Arguments> acceptors() {
        return Stream.of(
                arguments(1, Set.of(), true),
                arguments(3, Set.of(), false),
                arguments(3, Set.of(2L), true),
                arguments(3, Set.of(2L, 3L), true),
                arguments(5, Set.of(), false),
                arguments(5, Set.of(2L), false),
                arguments(5, Set.of(2L, 3L), true),
                arguments(5, Set.of(2L, 3L, 4L), true),
                arguments(5, Set.of(2L, 3L, 4L, 5L), true));
    }

    @ParameterizedTest(name = "{0} nodes, accepted by {1} -> committed={2}")
    @MethodSource("acceptors")
    void entry_isCommittedOnceReplicatedOnAMajority(int size, Set<Long> acceptors, boolean wantCommitted) {
        // Raft paper §5.3: an entry of the leader's term commits once a majority of the servers
        // (the leader included) holds it.
        MemoryStorage s = newTestMemoryStorage(withPeers(idsBySize(size)));
        Raft r = leaderWithCommittedNoop(s);
        long li = r.raftLog.lastIndex();
        r.step(proposal(1, DATA));
        advanceMessagesAfterAppend(r);

        for (Message m : List.copyOf(r.msgs)) {
            if (acceptors.contains(m.getTo())) {
                r.step(acceptAndReply(m));
            }
        }

        assertThat(r.raftLog.committed > li).isEqualTo(wantCommitted);
    }

    static Stream<List<Entry>> earlierLogs() {
        return Stream.of(
                List.of(),
                index(1).terms(2),
                index(1).terms(1, 2),
                index(1).terms(1));
    }

    @ParameterizedTest
    @MethodSource("earlierLogs")
    void committingAnEntry_commitsEveryEntryBeforeIt_includingEarlierLeaders(List<Entry> earlier) {
        // Raft paper §5.3: committing an entry commits all entries before it in the leader's
        // log, those of earlier leaders too, and they are applied in log order.
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
        storage.append(earlier);
        Raft r = newTestRaft(1, 10, 1, storage);
        r.loadState(HardState.newBuilder().setTerm(2).build());
        r.becomeCandidate();
        r.becomeLeader();
        r.step(proposal(1, DATA));

        for (Message m : readMessages(r)) {
            r.step(acceptAndReply(m));
        }

        long li = earlier.size();
        List<Entry> want = new ArrayList<>(earlier);
        want.add(entry(3, li + 1));
        want.add(entry(3, li + 2, DATA));
        assertThat(withoutDefaults(r.raftLog.nextCommittedEnts(true))).containsExactlyElementsOf(withoutDefaults(want));
    }

    static Stream<Arguments> followerCommits() {
        return Stream.of(
                arguments(List.of(entry(1, 1, DATA)), 1L),
                arguments(List.of(entry(1, 1, DATA), entry(1, 2, "some data2")), 2L),
                arguments(List.of(entry(1, 1, "some data2"), entry(1, 2, DATA)), 2L),
                arguments(List.of(entry(1, 1, DATA), entry(1, 2, "some data2")), 1L));
    }

    @ParameterizedTest(name = "commit {1}")
    @MethodSource("followerCommits")
    void follower_appliesEntriesInLogOrderOnceItLearnsTheyAreCommitted(List<Entry> ents, long commit) {
        // Raft paper §5.3: a follower that learns an entry is committed applies it, in log order.
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        r.becomeFollower(1, 2);

        r.step(msg(2, 1, MessageType.MsgApp).setTerm(1).addAllEntries(ents).setCommit(commit).build());

        assertThat(r.raftLog.committed).isEqualTo(commit);
        assertThat(withoutDefaults(r.raftLog.nextCommittedEnts(true)))
                .containsExactlyElementsOf(withoutDefaults(ents.subList(0, (int) commit)));
    }

    static Stream<Arguments> consistencyChecks() {
        // The follower holds (term 1, index 1), committed, and (term 2, index 2).
        return Stream.of(
                // The preceding entry matches a committed one.
                arguments(0L, 0L, 1L, false, 0L, 0L),
                arguments(1L, 1L, 1L, false, 0L, 0L),
                // It matches an uncommitted one.
                arguments(2L, 2L, 2L, false, 0L, 0L),
                // The follower has that index with another term.
                arguments(1L, 2L, 2L, true, 1L, 1L),
                // The follower does not have that index at all.
                arguments(3L, 3L, 3L, true, 2L, 2L));
    }

    @ParameterizedTest(name = "prev (term {0}, index {1}) -> index {2}, reject={3}")
    @MethodSource("consistencyChecks")
    void follower_refusesAnAppendWhosePrecedingEntryItLacks(long logTerm, long index, long wantIndex,
            boolean wantReject, long wantRejectHint, long wantLogTerm) {
        // Raft paper §5.3: a follower without an entry of the same index and term as the one
        // named in the AppendEntries RPC refuses the new entries, and accepts them otherwise.
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
        storage.append(index(1).terms(1, 2));
        Raft r = newTestRaft(1, 10, 1, storage);
        r.loadState(HardState.newBuilder().setCommit(1).build());
        r.becomeFollower(2, 2);

        r.step(msg(2, 1, MessageType.MsgApp).setTerm(2).setLogTerm(logTerm).setIndex(index).build());

        Message.Builder want = msg(1, 2, MessageType.MsgAppResp).setTerm(2).setIndex(wantIndex);
        if (wantReject) {
            want.setReject(true).setRejectHint(wantRejectHint).setLogTerm(wantLogTerm);
        }
        assertThat(withoutDefaults(readMessages(r))).containsExactly(withoutDefaults(want.build()));
    }

    static Stream<Arguments> appends() {
        // The follower holds (term 1, index 1) and (term 2, index 2).
        return Stream.of(
                arguments(2L, 2L, index(3).terms(3), index(1).terms(1, 2, 3), index(3).terms(3)),
                arguments(1L, 1L, index(2).terms(3, 4), index(1).terms(1, 3, 4), index(2).terms(3, 4)),
                arguments(0L, 0L, index(1).terms(1), index(1).terms(1, 2), List.of()),
                arguments(0L, 0L, index(1).terms(3), index(1).terms(3), index(1).terms(3)));
    }

    @ParameterizedTest(name = "after (index {0}, term {1}) append {2}")
    @MethodSource("appends")
    void follower_replacesConflictingEntriesAndAppendsOnlyNewOnes(long index, long term, List<Entry> ents,
            List<Entry> wantLog, List<Entry> wantUnstable) {
        // Raft paper §5.3: on a valid AppendEntries the follower deletes a conflicting entry and
        // everything after it, then appends the entries it does not have yet; what it appends
        // is due for stable storage.
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
        storage.append(index(1).terms(1, 2));
        Raft r = newTestRaft(1, 10, 1, storage);
        r.becomeFollower(2, 2);

        r.step(msg(2, 1, MessageType.MsgApp).setTerm(2).setLogTerm(term).setIndex(index).addAllEntries(ents).build());

        assertThat(withoutDefaults(r.raftLog.allEntries())).containsExactlyElementsOf(wantLog);
        assertThat(withoutDefaults(r.raftLog.nextUnstableEnts())).containsExactlyElementsOf(wantUnstable);
    }

    static Stream<List<Entry>> figure7FollowerLogs() {
        return Stream.of(
                index(0).terms(0, 1, 1, 1, 4, 4, 5, 5, 6, 6),
                index(0).terms(0, 1, 1, 1, 4, 4),
                index(0).terms(0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
                index(0).terms(0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
                index(0).terms(0, 1, 1, 1, 4, 4, 4, 4),
                index(0).terms(0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3));
    }

    @ParameterizedTest
    @MethodSource("figure7FollowerLogs")
    void leader_bringsAnyFollowerLogOfFigure7InLineWithItsOwn(List<Entry> followerLog) {
        // Raft paper §5.3, figure 7: whatever the follower's log looks like (missing entries,
        // extra uncommitted ones, or both), the leader makes it identical to its own.
        long term = 8;
        MemoryStorage leadStorage = newTestMemoryStorage(withPeers(1, 2, 3));
        leadStorage.append(index(0).terms(0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6));
        Raft lead = newTestRaft(1, 10, 1, leadStorage);
        lead.loadState(HardState.newBuilder().setCommit(lead.raftLog.lastIndex()).setTerm(term).build());
        MemoryStorage followerStorage = newTestMemoryStorage(withPeers(1, 2, 3));
        followerStorage.append(followerLog);
        Raft follower = newTestRaft(2, 10, 1, followerStorage);
        follower.loadState(HardState.newBuilder().setTerm(term - 1).build());
        // Three nodes: the follower's log may be the more up-to-date one, and then the leader
        // wins only with the third node's vote, granted by hand below.
        Network n = Network.of(lead, follower, BLACK_HOLE);
        n.send(hup(1));
        n.send(msg(3, 1, MessageType.MsgVoteResp).setTerm(term + 1).build());

        n.send(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());

        assertThat(ltoa(follower.raftLog)).isEqualTo(ltoa(lead.raftLog));
    }

    // ---------------------------------------------------------------- §5.4.2 committing entries from previous terms

    static Stream<Arguments> acknowledgedIndexes() {
        return Stream.of(
                // Entries of earlier terms are not committed by counting replicas...
                arguments(1L, 0L),
                arguments(2L, 0L),
                // ...but an entry of the current term is.
                arguments(3L, 3L));
    }

    @ParameterizedTest(name = "acknowledged {0} -> commit {1}")
    @MethodSource("acknowledgedIndexes")
    void leader_commitsByCountingReplicasOnlyEntriesOfItsOwnTerm(long acked, long wantCommit) {
        // Raft paper §5.4.2: only entries of the leader's current term are committed by
        // counting how many servers hold them.
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        storage.append(index(1).terms(1, 2));
        Raft r = newTestRaft(1, 10, 1, storage);
        r.loadState(HardState.newBuilder().setTerm(2).build());
        // Leader of term 3.
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        r.step(msg(1, 1, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build());

        r.step(msg(2, 1, MessageType.MsgAppResp).setTerm(r.term).setIndex(acked).build());
        advanceMessagesAfterAppend(r);

        assertThat(r.raftLog.committed).isEqualTo(wantCommit);
    }
}
