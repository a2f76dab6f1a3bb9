package io.latchkey.raft.rafttest;

import com.google.protobuf.ByteString;
import io.latchkey.raft.Config;
import io.latchkey.raft.DefaultLogger;
import io.latchkey.raft.MemoryStorage;
import io.latchkey.raft.Node;
import io.latchkey.raft.Peer;
import io.latchkey.raft.RaftException;
import io.latchkey.raft.Ready;
import io.latchkey.raft.Status;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Node} with an application around it (etcd-io/raft rafttest/node.go): a driver
 * thread ticks it every 5ms, persists its Readys to a {@link MemoryStorage} that survives
 * restarts, and sends its messages after a random delay; another thread steps what arrives.
 */
final class ClusterNode {
    private static final Duration TICK = Duration.ofMillis(5);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(1);

    final long id;
    private final RaftNetwork.NodeNetwork iface;
    private final MemoryStorage storage = new MemoryStorage(quietLogger());
    private final Random rand = new Random();

    private volatile Node node;
    private volatile boolean paused;
    private volatile boolean stopping;
    private Thread driver;
    private ExecutorService stepper;
    private ScheduledExecutorService sender;

    private ClusterNode(long id, RaftNetwork.NodeNetwork iface) {
        this.id = id;
        this.iface = iface;
    }

    static ClusterNode start(long id, List<Peer> peers, RaftNetwork.NodeNetwork iface) {
        ClusterNode n = new ClusterNode(id, iface);
        n.node = Node.start(n.config(), peers);
        n.run();
        return n;
    }

    private Config config() {
        return new Config().id(id).electionTick(10).heartbeatTick(1).storage(storage)
                .maxSizePerMsg(1024 * 1024).maxInflightMsgs(256).maxUncommittedEntriesSize(1L << 30)
                .logger(quietLogger());
    }

    private static DefaultLogger quietLogger() {
        return new DefaultLogger(new PrintStream(OutputStream.nullOutputStream()), true);
    }

    private void run() {
        stopping = false;
        stepper = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("step-" + id).daemon().unstarted(r));
        sender = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("send-" + id).daemon().unstarted(r));
        driver = Thread.ofPlatform().name("drive-" + id).daemon().start(this::drive);
    }

    private void drive() {
        Node n = node;
        long nextTick = System.nanoTime() + TICK.toNanos();
        List<Message> held = new ArrayList<>();
        try {
            while (!stopping) {
                BlockingQueue<Message> inbox = iface.recv();
                if (paused) {
                    // A paused node does nothing but hold on to what it receives.
                    Message m = inbox == null ? null : inbox.poll(1, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        held.add(m);
                    } else if (inbox == null) {
                        LockSupport.parkNanos(TICK.toNanos());
                    }
                    continue;
                }
                for (Message m : held) {
                    stepper.execute(() -> step(n, m));
                }
                held.clear();
                if (System.nanoTime() - nextTick >= 0) {
                    n.tick();
                    nextTick += TICK.toNanos();
                }
                Ready rd = n.ready(Duration.ofMillis(1));
                if (rd != null) {
                    if (!Ready.isEmptyHardState(rd.hardState())) {
                        storage.setHardState(rd.hardState());
                    }
                    storage.append(rd.entries());
                    // Simulated disk latency.
                    LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
                    for (Message m : rd.messages()) {
                        // Sends overtake one another, as on a real network.
                        sender.schedule(() -> iface.send(m), rand.nextInt(10), TimeUnit.MILLISECONDS);
                    }
                    n.advance();
                }
                if (inbox != null) {
                    Message m;
                    while ((m = inbox.poll()) != null) {
                        Message received = m;
                        stepper.execute(() -> step(n, received));
                    }
                }
            }
        } catch (InterruptedException | RaftException e) {
            // Stopping.
        }
    }

    private static void step(Node n, Message m) {
        try {
            n.step(m, STEP_TIMEOUT);
        } catch (TimeoutException | RaftException e) {
            // Lost, as messages are on a real network.
        }
    }

    /** Proposes like an application would, giving up quietly if the cluster is unavailable. */
    void propose(byte[] data) {
        try {
            node.propose(ByteString.copyFrom(data), Duration.ofSeconds(5));
        } catch (TimeoutException | RaftException e) {
            // etcd's tests ignore proposal errors as well; convergence is what they check.
        }
    }

    Status status() throws TimeoutException {
        return node.status(Duration.ofSeconds(5));
    }

    /** Stops the node, discarding its in-memory state; the storage is kept. */
    void stop() throws InterruptedException {
        iface.disconnect();
        stopping = true;
        driver.join();
        stepper.shutdownNow();
        sender.shutdownNow();
        stepper.awaitTermination(10, TimeUnit.SECONDS);
        sender.awaitTermination(10, TimeUnit.SECONDS);
        node.close();
    }

    /** Restarts a stopped node from its storage. */
    void restart() {
        node = Node.restart(config());
        run();
        iface.connect();
    }

    /** Holds incoming messages (and does nothing else) until {@link #resume}; then steps them all. */
    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    HardState hardState() throws TimeoutException {
        return status().basic().hardState();
    }
}
