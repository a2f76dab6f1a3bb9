package io.latchkey.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared scaffolding for the state-machine tests (the helpers of etcd's {@code raft_test.go}):
 * node and storage factories, the message pumps that stand in for a {@link RawNode}, and small
 * message builders. Every node draws its election timeouts from a generator seeded by its id,
 * so a run is reproducible.
 */
final class RaftTestSupport {
    /** Base seed of the per-node election-timeout generators. */
    static final long SEED = 0x5EED_1A7C_4E7L;

    private RaftTestSupport() {
    }

    // ---------------------------------------------------------------- construction

    /** No size limit per message and 256 messages in flight, as in etcd's tests. */
    static Config newTestConfig(long id, int election, int heartbeat, Storage storage) {
        return new Config()
                .id(id)
                .electionTick(election)
                .heartbeatTick(heartbeat)
                .storage(storage)
                .maxSizePerMsg(Config.NO_LIMIT)
                .maxInflightMsgs(256)
                .logger(TestLoggers.discard())
                .random(new SplittableRandom(SEED + id));
    }

    static Raft newTestRaft(long id, int election, int heartbeat, Storage storage) {
        return new Raft(newTestConfig(id, election, heartbeat, storage));
    }

    /**
     * A node whose configuration is adjusted before it starts. etcd's tests flip options such
     * as check quorum or pre-vote on a running node; here they are fixed at construction, so
     * scenarios set them up front.
     */
    static Raft newTestRaft(long id, int election, int heartbeat, Storage storage, Consumer<Config> configure) {
        Config cfg = newTestConfig(id, election, heartbeat, storage);
        configure.accept(cfg);
        return new Raft(cfg);
    }

    /**
     * Restarts a node with a changed configuration, as an operator rolling out a new option
     * would: a fresh node over a storage holding the old node's log and hard state. Its
     * membership is the old node's voters.
     */
    static Raft restart(Raft old, Consumer<Config> configure) {
        MemoryStorage storage = newTestMemoryStorage(withPeers(old.trk.voterNodes()));
        storage.append(old.raftLog.allEntries());
        storage.setHardState(old.hardState());
        return newTestRaft(old.id, old.electionTimeout, old.heartbeatTimeout, storage, configure);
    }

    /**
     * Same as {@link #newTestRaft}; kept so that scenarios about learners say so. Whether the
     * node is a learner comes from the storage's configuration.
     */
    static Raft newTestLearnerRaft(long id, int election, int heartbeat, Storage storage) {
        return newTestRaft(id, election, heartbeat, storage);
    }

    /** A RawNode over {@code storage}; its peers come from the storage's configuration. */
    static RawNode newTestRawNode(long id, int election, int heartbeat, Storage storage) {
        return new RawNode(newTestConfig(id, election, heartbeat, storage));
    }

    /** Shapes the configuration a test storage starts with. */
    @FunctionalInterface
    interface StorageOption extends Consumer<ConfState.Builder> {
    }

    static StorageOption withPeers(long... peers) {
        return cs -> {
            cs.clearVoters();
            for (long p : peers) {
                cs.addVoters(p);
            }
        };
    }

    static StorageOption withLearners(long... learners) {
        return cs -> {
            cs.clearLearners();
            for (long l : learners) {
                cs.addLearners(l);
            }
        };
    }

    /**
     * An empty storage whose initial configuration is given by the options. The configuration
     * travels the way a bootstrapping application would hand it over: as a data-less snapshot
     * at index 0, which {@link MemoryStorage#applySnapshot} accepts and which leaves the log
     * empty.
     */
    static MemoryStorage newTestMemoryStorage(StorageOption... options) {
        MemoryStorage storage = new MemoryStorage(TestLoggers.discard());
        if (options.length == 0) {
            return storage;
        }
        ConfState.Builder cs = ConfState.newBuilder();
        for (StorageOption o : options) {
            o.accept(cs);
        }
        storage.applySnapshot(Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setConfState(cs).setIndex(0).setTerm(0))
                .build());
        return storage;
    }

    /** Node ids 1..size. */
    static long[] idsBySize(int size) {
        long[] ids = new long[size];
        for (int i = 0; i < size; i++) {
            ids[i] = i + 1;
        }
        return ids;
    }

    static final Consumer<Config> PRE_VOTE = c -> c.preVote(true);

    /**
     * A node (for a {@link Network}) whose log holds one entry per term given, at indices
     * 1, 2, ..., and whose current term is the last of them.
     */
    static Network.PeerFactory entsWithConfig(Consumer<Config> configFunc, long... terms) {
        return id -> {
            MemoryStorage storage = newTestMemoryStorage();
            for (int i = 0; i < terms.length; i++) {
                storage.append(List.of(Entry.newBuilder().setIndex(i + 1).setTerm(terms[i]).build()));
            }
            Config cfg = newTestConfig(id, 5, 1, storage);
            if (configFunc != null) {
                configFunc.accept(cfg);
            }
            Raft r = new Raft(cfg);
            r.reset(terms[terms.length - 1]);
            return r;
        };
    }

    /**
     * A node (for a {@link Network}) that voted for {@code vote} in {@code term} but never
     * received an entry.
     */
    static Network.PeerFactory votedWithConfig(Consumer<Config> configFunc, long vote, long term) {
        return id -> {
            MemoryStorage storage = newTestMemoryStorage();
            storage.setHardState(HardState.newBuilder().setVote(vote).setTerm(term).build());
            Config cfg = newTestConfig(id, 5, 1, storage);
            if (configFunc != null) {
                configFunc.accept(cfg);
            }
            Raft r = new Raft(cfg);
            r.reset(term);
            return r;
        };
    }

    /** Fixes the election timeout the node drew, so that a scenario's timing is exact. */
    static void setRandomizedElectionTimeout(Raft r, int timeout) {
        r.randomizedElectionTimeout = timeout;
    }

    // ---------------------------------------------------------------- message pumps

    /**
     * Takes the messages the node wants sent, after first delivering its self-addressed
     * post-append messages (own votes, own append acks) as a RawNode would on advance.
     */
    static List<Message> readMessages(Raft r) {
        advanceMessagesAfterAppend(r);
        List<Message> msgs = r.msgs;
        r.msgs = new ArrayList<>();
        return msgs;
    }

    /**
     * Pretends the unstable state is durable: steps the node's self-addressed post-append
     * messages into it and moves the rest to the outbox, until none are left.
     */
    static void advanceMessagesAfterAppend(Raft r) {
        while (!r.msgsAfterAppend.isEmpty()) {
            stepOrSend(r, takeMessagesAfterAppend(r));
        }
    }

    /** Takes the post-append messages without delivering them, to deliver them late. */
    static List<Message> takeMessagesAfterAppend(Raft r) {
        List<Message> msgs = r.msgsAfterAppend;
        r.msgsAfterAppend = new ArrayList<>();
        return msgs;
    }

    /** Steps the self-addressed messages into the node and queues the others for sending. */
    static void stepOrSend(Raft r, List<Message> msgs) {
        for (Message m : msgs) {
            if (m.getTo() == r.id) {
                r.step(m);
            } else {
                r.msgs.add(m);
            }
        }
    }

    /**
     * Persists the unstable entries to {@code s}, runs the post-append steps and returns the
     * entries that may now be applied, marking them applied.
     */
    static List<Entry> nextEnts(Raft r, MemoryStorage s) {
        s.append(r.raftLog.nextUnstableEnts());
        r.raftLog.stableTo(r.raftLog.lastEntryID());
        advanceMessagesAfterAppend(r);
        List<Entry> ents = r.raftLog.nextCommittedEnts(true);
        r.raftLog.appliedTo(r.raftLog.committed, 0);
        return ents;
    }

    static void mustAppendEntry(Raft r, Entry... entries) {
        if (!r.appendEntry(List.of(entries))) {
            throw new AssertionError("entry unexpectedly dropped");
        }
    }

    /** Steps a message whose refusal the scenario tolerates; false if a proposal was dropped. */
    static boolean tryStep(Raft r, Message m) {
        try {
            r.step(m);
            return true;
        } catch (ProposalDroppedException e) {
            return false;
        }
    }

    /** Ticks the node {@code n} times. */
    static void tick(Raft r, int n) {
        for (int i = 0; i < n; i++) {
            r.tick();
        }
    }

    static ConfChangeV2 addNode(long id) {
        return ConfChanges.asV2(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(id).build());
    }

    static ConfChangeV2 addLearner(long id) {
        return ConfChanges.asV2(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddLearnerNode).setNodeId(id).build());
    }

    static ConfChangeV2 removeNode(long id) {
        return ConfChanges.asV2(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeRemoveNode).setNodeId(id).build());
    }

    static Message expectOneMessage(Raft r) {
        List<Message> msgs = readMessages(r);
        assertThat(msgs).as("expect one message").hasSize(1);
        return msgs.get(0);
    }

    /**
     * The messages ordered by recipient, then type, then sender (etcd's {@code messageSlice}), so
     * that a broadcast can be compared against a fixed list.
     */
    static List<Message> sortedByRecipient(List<Message> msgs) {
        return msgs.stream()
                .sorted(Comparator.comparingLong(Message::getTo)
                        .thenComparingInt(m -> m.getType().getNumber())
                        .thenComparingLong(Message::getFrom))
                .toList();
    }

    /** The answer of a follower that accepted every entry of the append {@code m}. */
    static Message acceptAndReply(Message m) {
        if (m.getType() != MessageType.MsgApp) {
            throw new IllegalArgumentException("not an append: " + m.getType());
        }
        return msg(m.getTo(), m.getFrom(), MessageType.MsgAppResp)
                .setTerm(m.getTerm())
                .setIndex(m.getIndex() + m.getEntriesCount())
                .build();
    }

    /**
     * Has every follower of a fresh leader acknowledge its election entry, then makes that entry
     * durable in {@code s} and applied, so that a scenario starts from a clean committed log.
     * The appends that only carry the new commit index to the followers are discarded.
     */
    static void commitNoopEntry(Raft r, MemoryStorage s) {
        if (r.state != StateType.StateLeader) {
            throw new IllegalStateException("only a leader has an election entry to commit");
        }
        r.bcastAppend();
        for (Message m : readMessages(r)) {
            if (m.getType() != MessageType.MsgApp || m.getEntriesCount() != 1 || !m.getEntries(0).getData().isEmpty()) {
                throw new IllegalStateException("not the append of the election entry: " + m);
            }
            r.step(acceptAndReply(m));
        }
        readMessages(r);
        s.append(r.raftLog.nextUnstableEnts());
        r.raftLog.appliedTo(r.raftLog.committed, 0);
        r.raftLog.stableTo(r.raftLog.lastEntryID());
    }

    // ---------------------------------------------------------------- messages and entries

    static Message.Builder msg(long from, long to, MessageType type) {
        return Message.newBuilder().setFrom(from).setTo(to).setType(type);
    }

    /** A local MsgHup: campaign now. */
    static Message hup(long id) {
        return msg(id, id, MessageType.MsgHup).build();
    }

    /** A local MsgBeat: a leader broadcasts heartbeats now. */
    static Message beat(long id) {
        return msg(id, id, MessageType.MsgBeat).build();
    }

    /** A proposal of one normal entry, stepped into node {@code id} as its own. */
    static Message proposal(long id, String data) {
        return msg(id, id, MessageType.MsgProp).addEntries(entry(data)).build();
    }

    static Entry entry(String data) {
        return Entry.newBuilder().setData(ByteString.copyFromUtf8(data)).build();
    }

    static Entry entry(long term, long index) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    static Entry entry(long term, long index, String data) {
        return Entry.newBuilder().setTerm(term).setIndex(index).setData(ByteString.copyFromUtf8(data)).build();
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    // ---------------------------------------------------------------- comparison

    /** A log over a storage holding exactly {@code entries}, to compare other logs against. */
    static RaftLog logOf(List<Entry> entries) {
        MemoryStorage storage = newTestMemoryStorage();
        storage.append(entries);
        return RaftLog.newLog(storage, TestLoggers.discard());
    }

    /** A printable summary of a log (etcd's {@code ltoa}) for comparing whole logs. */
    static String ltoa(RaftLog l) {
        StringBuilder s = new StringBuilder()
                .append("lastIndex: ").append(l.lastIndex()).append('\n')
                .append("applied:  ").append(l.applied).append('\n')
                .append("applying:  ").append(l.applying).append('\n');
        List<Entry> entries = l.allEntries();
        for (int i = 0; i < entries.size(); i++) {
            s.append('#').append(i).append(": ").append(withoutDefaults(entries.get(i)).toString().replace('\n', ' ')).append('\n');
        }
        return s.toString();
    }

    /**
     * The protobuf value with every field that holds its default value cleared, recursively.
     * etcd compares messages by value; the generated Java classes also compare presence, and
     * whether the core sets, say, {@code index = 0} explicitly is not what a test is about.
     */
    @SuppressWarnings("unchecked")
    static <T extends com.google.protobuf.Message> T withoutDefaults(T m) {
        com.google.protobuf.Message.Builder b = m.toBuilder();
        for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
            FieldDescriptor fd = f.getKey();
            boolean isMessage = fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
            if (fd.isRepeated()) {
                if (isMessage) {
                    b.clearField(fd);
                    for (Object v : (List<?>) f.getValue()) {
                        b.addRepeatedField(fd, withoutDefaults((com.google.protobuf.Message) v));
                    }
                }
            } else if (isMessage) {
                com.google.protobuf.Message v = withoutDefaults((com.google.protobuf.Message) f.getValue());
                if (v.getAllFields().isEmpty()) {
                    b.clearField(fd);
                } else {
                    b.setField(fd, v);
                }
            } else if (f.getValue().equals(fd.getDefaultValue())) {
                b.clearField(fd);
            }
        }
        return (T) b.build();
    }

    static <T extends com.google.protobuf.Message> List<T> withoutDefaults(List<T> ms) {
        return ms.stream().map(RaftTestSupport::withoutDefaults).toList();
    }
}
