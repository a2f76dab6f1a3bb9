package io.latchkey.node;

/**
 * The stages of a replicated write whose latency a node measures (metric tag {@link #tag()}).
 * Together they show where a proposal's time goes: on the leader, queued for the loop, then
 * persisted locally while its append travels to the followers, committed once a quorum
 * acknowledged, then applied; on a follower, the append received, persisted and acknowledged.
 */
public enum WriteStage {
    /** Leader: a proposal's call until the loop took it (waiting in the loop's inbox). */
    PROPOSE_QUEUE("propose-queue"),
    /** Leader: a proposal's call until its result (applied here); all of the server's replication. */
    PROPOSAL("proposal"),
    /** Leader: entries handed to storage and peers until a quorum acknowledged them (commit seen). */
    REPLICATE("replicate"),
    /** Leader: committed until applied (persisting the Ready's other writes first, if any). */
    APPLY("apply"),
    /** Leader: an append sent to one follower until that follower's acknowledgement was stepped. */
    PEER_ROUND_TRIP("peer-round-trip"),
    /** Follower: an append stepped until its acknowledgement was handed to the transport. */
    FOLLOWER_ACK("follower-ack"),
    /** Any node: a durable write of the raft log (entries, hard state), up to and including its fsync. */
    PERSIST("persist"),
    /** Any node: an append or its acknowledgement from a peer, delivered by the transport until stepped. */
    INBOX("inbox"),
    /** Sender: a message queued for a peer until the sender took it (writing the batch before). */
    PEER_QUEUE("peer-queue"),
    /** Sender: a batch written to the peer's stream and flushed (longer when the peer reads slowly). */
    PEER_WRITE("peer-write");

    private final String tag;

    WriteStage(String tag) {
        this.tag = tag;
    }

    /** The value of the metric's {@code stage} tag. */
    public String tag() {
        return tag;
    }

    /** Where stage latencies go; must be quick, thread-safe and never throw. */
    @FunctionalInterface
    public interface Timer {
        Timer NONE = (stage, nanos) -> {
        };

        void record(WriteStage stage, long nanos);
    }
}
