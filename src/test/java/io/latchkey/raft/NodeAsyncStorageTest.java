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
            // Node.campaign is broken (NodeSuspectedBugsTest); the election clock works.
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
