package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.latchkey.raft.EntryIndex.index;
import static io.latchkey.raft.RaftTestSupport.advanceMessagesAfterAppend;
import static io.latchkey.raft.RaftTestSupport.bytes;
import static io.latchkey.raft.RaftTestSupport.hup;
import static io.latchkey.raft.RaftTestSupport.msg;
import static io.latchkey.raft.RaftTestSupport.newTestConfig;
import static io.latchkey.raft.RaftTestSupport.newTestLearnerRaft;
import static io.latchkey.raft.RaftTestSupport.newTestMemoryStorage;
import static io.latchkey.raft.RaftTestSupport.newTestRaft;
import static io.latchkey.raft.RaftTestSupport.nextEnts;
import static io.latchkey.raft.RaftTestSupport.proposal;
import static io.latchkey.raft.RaftTestSupport.readMessages;
import static io.latchkey.raft.RaftTestSupport.setRandomizedElectionTimeout;
import static io.latchkey.raft.RaftTestSupport.tick;
import static io.latchkey.raft.RaftTestSupport.withLearners;
import static io.latchkey.raft.RaftTestSupport.withPeers;
import static io.latchkey.raft.StateType.StateLeader;
import static org.assertj.core.api.Assertions.assertThat;

/** Linearizable reads without log writes: ReadIndex (thesis §6.4) and lease reads (§6.4.1). */
class RaftReadOnlyTest {

    private static Message readIndex(long from, long to, String ctx) {
        return msg(from, to, MessageType.MsgReadIndex).addEntries(Entry.newBuilder().setData(bytes(ctx))).build();
    }

    private static Message emptyProposal(long id) {
        return msg(id, id, MessageType.MsgProp).addEntries(Entry.getDefaultInstance()).build();
    }

    private record ReadCase(Raft sm, int proposals, long index, String ctx) {
    }

    /** Runs the reads in turn, each after some proposals, and checks the read index. */
    private static void assertReads(Network nt, List<ReadCase> cases, Runnable afterEachProposal) {
        for (int i = 0; i < cases.size(); i++) {
            ReadCase c = cases.get(i);
            for (int j = 0; j < c.proposals(); j++) {
                nt.send(emptyProposal(1));
                afterEachProposal.run();
            }
            nt.send(readIndex(c.sm().id, c.sm().id, c.ctx()));

            Raft r = c.sm();
            assertThat(r.readStates).as("#%d", i).isNotEmpty();
            ReadState rs = r.readStates.get(0);
            assertThat(rs.index()).as("#%d", i).isEqualTo(c.index());
            assertThat(rs.requestCtx()).as("#%d", i).isEqualTo(bytes(c.ctx()));
            r.readStates = new ArrayList<>();
        }
    }

    @Test
    void confirmedRead_isRemovedFromTheLeadersQueue() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        sm.becomeCandidate();
        sm.becomeLeader();
        sm.raftLog.commitTo(sm.raftLog.lastIndex());

        // The leader confirms its leadership with a heartbeat round (§6.4, step 2)...
        sm.step(msg(2, 0, MessageType.MsgReadIndex).addEntries(Entry.newBuilder().setData(bytes("ctx"))).build());
        List<Message> msgs = readMessages(sm);
        assertThat(msgs).hasSize(1);
        assertThat(msgs.get(0).getType()).isEqualTo(MessageType.MsgHeartbeat);
        assertThat(sm.readOnly.heartbeatCtx()).as("read waiting for confirmation").isNotNull();

        // ...which a quorum acknowledges (step 3); then nothing is left waiting.
        sm.step(msg(2, 0, MessageType.MsgHeartbeatResp).setContext(msgs.get(0).getContext()).build());
        assertThat(sm.readOnly.heartbeatCtx()).as("read waiting for confirmation").isNull();
    }

    private static Network electThreeNodes(Consumer<Config> configure, Raft[] out) {
        for (int i = 0; i < 3; i++) {
            out[i] = newTestRaft(i + 1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)), configure);
        }
        Network nt = Network.of(out[0], out[1], out[2]);
        Raft b = out[1];
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);
        tick(b, b.electionTimeout);
        nt.send(hup(1));
        assertThat(out[0].state).isEqualTo(StateLeader);
        return nt;
    }

    @Test
    void safeRead_returnsTheLeadersCommitIndexOnEveryNode() {
        Raft[] n = new Raft[3];
        Network nt = electThreeNodes(c -> { }, n);
        assertReads(nt, List.of(
                new ReadCase(n[0], 10, 11, "ctx1"),
                new ReadCase(n[1], 10, 21, "ctx2"),
                new ReadCase(n[2], 10, 31, "ctx3"),
                new ReadCase(n[0], 10, 41, "ctx4"),
                new ReadCase(n[1], 10, 51, "ctx5"),
                new ReadCase(n[2], 10, 61, "ctx6")), () -> { });
    }

    @Test
    void safeRead_worksWithALearnerAndOnTheLearner() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1), withLearners(2));
        Raft a = newTestLearnerRaft(1, 10, 1, s);
        Raft b = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Network nt = Network.of(a, b);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);
        tick(b, b.electionTimeout);
        nt.send(hup(1));
        assertThat(a.state).isEqualTo(StateLeader);

        assertReads(nt, List.of(
                new ReadCase(a, 10, 11, "ctx1"),
                new ReadCase(b, 10, 21, "ctx2"),
                new ReadCase(a, 10, 31, "ctx3"),
                new ReadCase(b, 10, 41, "ctx4")),
                // Persist the leader's entries so that it can commit alone.
                () -> nextEnts(a, s));
    }

    @Test
    void leaseRead_returnsTheLeadersCommitIndexOnEveryNode() {
        Raft[] n = new Raft[3];
        Network nt = electThreeNodes(c -> c.readOnlyOption(ReadOnlyOption.ReadOnlyLeaseBased).checkQuorum(true), n);
        assertReads(nt, List.of(
                new ReadCase(n[0], 10, 11, "ctx1"),
                new ReadCase(n[1], 10, 21, "ctx2"),
                new ReadCase(n[2], 10, 31, "ctx3"),
                new ReadCase(n[0], 10, 41, "ctx4"),
                new ReadCase(n[1], 10, 51, "ctx5"),
                new ReadCase(n[2], 10, 61, "ctx6")), () -> { });
    }

    @Test
    void newLeader_postponesReadsUntilItCommitsAnEntryOfItsTerm() {
        // (id, committed, applied, compacted up to)
        long[][] nodeConfigs = {{1, 1, 1, 0}, {2, 2, 2, 2}, {3, 2, 2, 2}};
        Raft[] peers = new Raft[3];
        for (int i = 0; i < nodeConfigs.length; i++) {
            long[] c = nodeConfigs[i];
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(index(1).terms(1, 1));
            storage.setHardState(HardState.newBuilder().setTerm(1).setCommit(c[1]).build());
            if (c[3] != 0) {
                storage.compact(c[3]);
            }
            peers[i] = new Raft(newTestConfig(c[0], 10, 1, storage).applied(c[2]));
        }
        Network nt = Network.of((Object[]) peers);

        // Keep the new leader from committing anything in its term.
        nt.ignore(MessageType.MsgApp);
        nt.send(hup(1));
        Raft sm = nt.raft(1);
        assertThat(sm.state).isEqualTo(StateLeader);

        // The read waits.
        long windex = 4;
        ByteString wctx = bytes("ctx");
        nt.send(readIndex(1, 1, "ctx"));
        assertThat(sm.readStates).isEmpty();

        nt.recover();

        // Now let the leader commit an entry of its term.
        tick(sm, sm.heartbeatTimeout);
        nt.send(emptyProposal(1));
        assertThat(sm.raftLog.committed).isEqualTo(4);
        assertThat(sm.raftLog.zeroTermOnOutOfBounds(sm.raftLog.committed)).isEqualTo(sm.term);

        // The postponed read is answered...
        assertThat(sm.readStates).hasSize(1);
        assertThat(sm.readStates.get(0)).isEqualTo(new ReadState(windex, wctx));

        // ...and new reads are answered at once.
        nt.send(readIndex(1, 1, "ctx"));
        assertThat(sm.readStates).hasSize(2);
        assertThat(sm.readStates.get(1)).isEqualTo(new ReadState(windex, wctx));
    }

    @Test
    void duplicateReadRequest_neverYieldsATooSmallReadIndex() {
        Raft r1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r3 = newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Network net = Network.of(r1, r2, r3);

        // Held back until a new leader has been elected and committed an entry.
        List<Message> delayed = new ArrayList<>();

        net.send(hup(1));

        // Request A must be answered with at least this index.
        Message readA = readIndex(2, 1, "A");
        long minimumA = r1.raftLog.committed;

        // A retry (by the network or the client) of the same request, delivered later.
        delayed.add(readA);

        // Handle A, but hold back the heartbeat responses (delay, do not duplicate).
        net.msgHook = m -> {
            if (m.getType() == MessageType.MsgHeartbeatResp) {
                delayed.add(m);
                return false;
            }
            return true;
        };
        net.send(readA);
        net.msgHook = null;

        // Tick and deliver whatever r1 wants to send; this finishes handling A.
        r1.tick();
        advanceMessagesAfterAppend(r1);
        List<Message> msgs = r1.msgs;
        r1.msgs = new ArrayList<>();
        net.send(msgs.toArray(Message[]::new));

        net.isolate(r1.id);

        // r2 becomes leader and commits an entry.
        net.send(hup(2));
        net.send(proposal(2, "someOp"));

        // Read B from the cut-off, stale leader r1.
        Message readB = readIndex(1, 1, "B");
        long minimumB = r2.raftLog.committed;

        net.send(readB);
        net.recover();
        // The retried A, then the delayed heartbeat responses: they must not confirm B.
        net.send(delayed.toArray(Message[]::new));

        // A read index below what was committed when the request was made would break
        // linearizability.
        Stream.of(r1, r2, r3).flatMap(r -> r.readStates.stream()).forEach(rs -> {
            if (rs.requestCtx().equals(bytes("A"))) {
                assertThat(rs.index()).as("read index for A").isGreaterThanOrEqualTo(minimumA);
            } else if (rs.requestCtx().equals(bytes("B"))) {
                assertThat(rs.index()).as("read index for B").isGreaterThanOrEqualTo(minimumB);
            }
        });
    }
}
