package io.latchkey.node;

import com.google.protobuf.ByteString;

/**
 * The leader's stamp on commands proposed at members that cannot stamp them. The state
 * machine's commands carry the leader's term and lease clock (see {@code io.latchkey.state});
 * a follower proposes without them, raft forwards the proposal to the leader (as etcd's
 * followers do), and the leader's replica asks this stamper before raft appends it.
 */
@FunctionalInterface
public interface ProposalStamper {
    /**
     * The stamped payload, or null when this leader cannot stamp for {@code term} now (it has
     * not taken over the lease clock of that term yet): the replica holds the proposal and asks again.
     */
    Stamped stamp(ByteString payload, long term);

    /** A stamped payload and the lease clock it was stamped with. */
    record Stamped(ByteString payload, long proposedAtMillis) {
    }
}
