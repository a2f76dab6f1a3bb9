package io.latchkey.raft.rafttest;

import io.latchkey.raft.Config;
import io.latchkey.raft.RawNode;

import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Options of an {@link InteractionEnv}; both may be null.
 *
 * @param onConfig                     adjusts each node's config before its RawNode is built;
 *                                     it must neither change the id nor set a logger
 * @param setRandomizedElectionTimeout sets a node's randomized election timeout, which only
 *                                     the raft package can reach; its tests pass the hook in
 */
public record InteractionOpts(Consumer<Config> onConfig, BiConsumer<RawNode, Integer> setRandomizedElectionTimeout) {
    public static InteractionOpts defaults() {
        return new InteractionOpts(null, null);
    }
}
