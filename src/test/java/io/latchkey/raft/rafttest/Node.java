package io.latchkey.raft.rafttest;

import io.latchkey.raft.Config;
import io.latchkey.raft.RawNode;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A member of the group driven by an {@link InteractionEnv}: its RawNode, its storage and the
 * state the harness keeps on the application's behalf.
 */
public final class Node {
    private final RawNode rawNode;
    private final NodeStorage storage;
    private final Config config;
    /** MsgStorageAppend messages waiting for the simulated append thread (async writes only). */
    final Deque<Message> appendWork = new ArrayDeque<>();
    /** MsgStorageApply messages waiting for the simulated apply thread (async writes only). */
    final Deque<Message> applyWork = new ArrayDeque<>();
    /**
     * The state machine after every applied entry, oldest first; the state machine appends
     * each entry's payload to the data.
     */
    final List<Snapshot> history = new ArrayList<>();

    Node(RawNode rawNode, NodeStorage storage, Config config, Snapshot initial) {
        this.rawNode = rawNode;
        this.storage = storage;
        this.config = config;
        this.history.add(initial);
    }

    public RawNode rawNode() {
        return rawNode;
    }

    public NodeStorage storage() {
        return storage;
    }

    public Config config() {
        return config;
    }

    public List<Message> appendWork() {
        return List.copyOf(appendWork);
    }

    public List<Message> applyWork() {
        return List.copyOf(applyWork);
    }

    public List<Snapshot> history() {
        return List.copyOf(history);
    }

    Snapshot latestSnapshot() {
        return history.get(history.size() - 1);
    }
}
