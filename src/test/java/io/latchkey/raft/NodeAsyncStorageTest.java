package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.latchkey.raft.NodeTestSupport.WAIT;
import static io.latchkey.raft.NodeTestSupport.awaitCondition;
import static io.latchkey.raft.NodeTestSupport.bytes;
import static io.latchkey.raft.NodeTestSupport.confChangeOf;
import static io.latchkey.raft.NodeTestSupport.newTestConfig;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Node with asynchronous storage writes, end to end: the application thread only routes
 * MsgStorageAppend to a storage thread and MsgStorageApply to an apply thread, which step
 * the responses back once done. Advance is never called.
 */
class NodeAsyncStorageTest {
    private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stopping;

    @Test
    void proposalsCommitAndApplyThroughStorageAndApplyThreads() throws Exception {
        MemoryStorage storage = new MemoryStorage(TestLoggers.discard());
        Node n = Node.start(newTestConfig(1, 10, 1, storage).asyncStorageWrites(true), List.of(new Peer(1)));
        BlockingQueue<Message> appendWork = new LinkedBlockingQueue<>();
        BlockingQueue<Message> applyWork = new LinkedBlockingQueue<>();
        List<Entry> applied = Collections.synchronizedList(new ArrayList<>());

        List<Thread> threads = List.of(
                loop("ready", () -> {
                    Ready rd = n.ready(Duration.ofMillis(50));
                    if (rd == null) {
                        return;
                    }
                    for (Message m : rd.messages()) {
                        if (m.getTo() == Raft.LOCAL_APPEND_THREAD) {
                            appendWork.add(m);
                        } else if (m.getTo() == Raft.LOCAL_APPLY_THREAD) {
                            applyWork.add(m);
                        } // A lone voter sends nothing to peers.
                    }
                }),
                loop("storage", () -> {
                    Message m = appendWork.poll(50, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        return;
                    }
                    if (m.getTerm() != 0 || m.getVote() != 0 || m.getCommit() != 0) {
                        storage.setHardState(HardState.newBuilder().setTerm(m.getTerm()).setVote(m.getVote())
                                .setCommit(m.getCommit()).build());
                    }
                    if (m.hasSnapshot() && !Ready.isEmptySnap(m.getSnapshot())) {
                        storage.applySnapshot(m.getSnapshot());
                    }
                    storage.append(m.getEntriesList());
                    stepAll(n, m);
                }),
                loop("apply", () -> {
                    Message m = applyWork.poll(50, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        return;
                    }
                    for (Entry e : m.getEntriesList()) {
                        if (e.getType() == EntryType.EntryConfChange) {
                            n.applyConfChange(confChangeOf(e).asV1(), WAIT);
                        }
                        applied.add(e);
                    }
                    stepAll(n, m);
                }));

        try {
            // A campaign is refused until the bootstrap conf change is applied (etcd's pending
            // conf change check); the election clock retries until it is.
            awaitCondition("node 1 leads", WAIT, () -> {
                n.tick();
                return status(n).basic().softState().lead() == 1;
            });
            List<ByteString> proposed = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ByteString data = bytes("e" + i);
                n.propose(data, WAIT);
                proposed.add(data);
            }
            awaitCondition("all proposals applied", WAIT, () -> {
                synchronized (applied) {
                    return applied.stream().map(Entry::getData).toList().containsAll(proposed);
                }
            });

            synchronized (applied) {
                // Applied in log order, without gaps, starting with the bootstrap conf change.
                for (int i = 0; i < applied.size(); i++) {
                    assertThat(applied.get(i).getIndex()).isEqualTo(i + 1);
                }
                assertThat(applied.get(0).getType()).isEqualTo(EntryType.EntryConfChange);
            }
            // Only locally durable entries are handed to the apply thread.
            long lastApplied = applied.get(applied.size() - 1).getIndex();
            assertThat(storage.lastIndex()).isGreaterThanOrEqualTo(lastApplied);
            // The two threads race, so the persisted commit index may trail the applied entries
            // for a moment, but it catches up, as does raft's applied index from the apply acks.
            awaitCondition("persisted commit reaches " + lastApplied, WAIT,
                    () -> storage.initialState().hardState().getCommit() >= lastApplied);
            awaitCondition("raft's applied index reaches " + lastApplied, WAIT,
                    () -> status(n).basic().applied() == lastApplied);
        } finally {
            stopping = true;
            for (Thread t : threads) {
                t.join(WAIT.toMillis());
            }
            n.close();
        }
        assertThat(failures).isEmpty();
    }

    /** Steps a storage message's responses into the node: they all go back to it here. */
    /**
     * etcd's TestCommitPaginationWithAsyncStorageWrites, Ready by Ready: with a 2048-byte limit
     * per Ready, an entry committed while two earlier ones (1 KiB each) are still being applied
     * is handed out for application only once the first application is acknowledged.
     */
    @Test
    void commitPaginationWaitsForApplyAcknowledgements() throws Exception {
        MemoryStorage s = NodeTestSupport.storageWithPeers(1);
        Node n = Node.restart(newTestConfig(1, 10, 1, s).maxCommittedSizePerReady(2048).asyncStorageWrites(true));
        try {
            n.campaign(WAIT);
            // Persist vote.
            appendAndAcknowledge(n, s, onlyMessage(NodeTestSupport.readyWithin(n), MessageType.MsgStorageAppend));
            // Append empty entry.
            appendAndAcknowledge(n, s, onlyMessage(NodeTestSupport.readyWithin(n), MessageType.MsgStorageAppend));
            // Apply empty entry.
            List<Message> applyResponses = new ArrayList<>();
            appendAndCollectApplies(n, s, NodeTestSupport.readyWithin(n), applyResponses);
            n.step(applyResponses.removeFirst(), WAIT);

            ByteString blob = ByteString.copyFromUtf8("a".repeat(1024));
            // Propose and append the first entry.
            n.propose(blob, WAIT);
            Message append = onlyMessage(NodeTestSupport.readyWithin(n), MessageType.MsgStorageAppend);
            assertThat(append.getEntriesList()).hasSize(1);
            appendAndAcknowledge(n, s, append);

            // Propose and append the second entry; the first is not applied yet.
            n.propose(blob, WAIT);
            appendAndCollectApplies(n, s, NodeTestSupport.readyWithin(n), applyResponses);
            // Propose and append the third entry; the second is not applied yet.
            n.propose(blob, WAIT);
            appendAndCollectApplies(n, s, NodeTestSupport.readyWithin(n), applyResponses);
            assertThat(applyResponses).hasSize(2);

            // The third entry is not handed out for application until the first is applied.
            for (Ready more = n.ready(NodeTestSupport.QUIET); more != null; more = n.ready(NodeTestSupport.QUIET)) {
                assertThat(more.messages()).extracting(Message::getType).doesNotContain(MessageType.MsgStorageApply);
            }
            n.step(applyResponses.removeFirst(), WAIT);

            Message apply = onlyMessage(NodeTestSupport.readyWithin(n), MessageType.MsgStorageApply);
            assertThat(apply.getEntriesList()).hasSize(1);
            applyResponses.add(apply.getResponses(0));
            for (Message resp : applyResponses) {
                n.step(resp, WAIT);
            }
        } finally {
            n.close();
        }
    }

    private static Message onlyMessage(Ready rd, MessageType type) {
        assertThat(rd.messages()).hasSize(1);
        assertThat(rd.messages().get(0).getType()).isEqualTo(type);
        return rd.messages().get(0);
    }

    private static void appendAndAcknowledge(Node n, MemoryStorage s, Message append) throws TimeoutException {
        s.append(append.getEntriesList());
        for (Message resp : append.getResponsesList()) {
            n.step(resp, WAIT);
        }
    }

    /** Appends and acknowledges the Ready's append; keeps the one-entry apply's response. */
    private static void appendAndCollectApplies(Node n, MemoryStorage s, Ready rd, List<Message> applyResponses)
            throws TimeoutException {
        assertThat(rd.messages()).hasSize(2);
        for (Message m : rd.messages()) {
            if (m.getType() == MessageType.MsgStorageAppend) {
                appendAndAcknowledge(n, s, m);
            } else {
                assertThat(m.getType()).isEqualTo(MessageType.MsgStorageApply);
                assertThat(m.getEntriesList()).hasSize(1);
                assertThat(m.getResponsesList()).hasSize(1);
                applyResponses.add(m.getResponses(0));
            }
        }
    }

    private static void stepAll(Node n, Message m) throws TimeoutException {
        for (Message resp : m.getResponsesList()) {
            assertThat(resp.getTo()).isEqualTo(1);
            n.step(resp, WAIT);
        }
    }

    private static Status status(Node n) {
        try {
            return n.status(WAIT);
        } catch (TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private Thread loop(String name, Step step) {
        return Thread.ofPlatform().name(name).daemon().start(() -> {
            while (!stopping) {
                try {
                    step.run();
                } catch (Throwable t) {
                    if (!stopping) {
                        failures.add(t);
                    }
                    return;
                }
            }
        });
    }
}
