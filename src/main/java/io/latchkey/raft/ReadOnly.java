package io.latchkey.raft;

import com.google.protobuf.ByteString;
import io.latchkey.raft.quorum.AckedIndexer;
import io.latchkey.raft.quorum.JointConfig;
import io.latchkey.raft.raftpb.Message;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * The leader's queue of ReadIndex requests waiting for a quorum to confirm its leadership
 * (etcd-io/raft {@code read_only.go}). Requests are numbered in arrival order; a heartbeat
 * carries the number of the newest one, and a quorum of acks for number n confirms every
 * request up to n at once.
 *
 * <p>It also keeps the evidence for the leader's lease, which etcd does not track: etcd
 * answers a lease-based read whenever the node leads, yet a leader cut off just after a quorum
 * check keeps leading for up to two election timeouts while the others may elect a new leader
 * after one. Here heartbeats carry the leader's tick and followers echo it; the package
 * documentation ("Lease reads") says why a quorum of echoes makes a lease and what voids it.
 */
final class ReadOnly implements AckedIndexer {
    record ReadIndexRequest(Message req, long index) {
    }

    final ReadOnlyOption option;
    /** Per voter, the highest request number it acknowledged. */
    private final Map<Long, Long> acks = new HashMap<>();
    /** Per voter, the latest leader tick echoed in a heartbeat response. */
    private final Map<Long, Long> leaseAcks = new HashMap<>();
    /** Echoed ticks below this one are ignored (heartbeats sent before a lease was given up). */
    private long leaseFloorTick;
    /** The tick this leader was elected at, or -1 once acks before a point were dropped. */
    private long leaderSinceTick = -1;
    private final List<ReadIndexRequest> unconfirmedReads = new ArrayList<>();
    /** How many requests have been confirmed since this leader started. */
    private long confirmedReads;

    ReadOnly(ReadOnlyOption option) {
        this.option = option;
    }

    /** Queues a request that may be answered with {@code commitIndex} once confirmed. */
    void addRequest(long commitIndex, Message req) {
        unconfirmedReads.add(new ReadIndexRequest(req, commitIndex));
    }

    /** Records a heartbeat acknowledgement: the read position and, if present, the lease tick. */
    void recvAck(long from, ByteString ctx) {
        if (ctx.isEmpty()) {
            return;
        }
        ByteBuffer buffer = ctx.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long position = buffer.getLong(0);
        if (position > 0) {
            acks.merge(from, position, Math::max);
        }
        long tick = ctx.size() == 2 * Long.BYTES ? buffer.getLong(Long.BYTES) : -1;
        if (tick >= leaseFloorTick) {
            leaseAcks.merge(from, tick, Math::max);
        }
    }

    /** Records that this leader was elected at {@code tick}; see {@link #leaseStartTick}. */
    void leaderSince(long tick) {
        leaderSinceTick = tick;
    }

    /**
     * The latest tick t such that a quorum (counting the leader itself at {@code nowTick})
     * has acknowledged a message of this leader sent at t or later; -1 if no quorum has.
     *
     * <p>Heartbeats carry their tick. Appends do not, but once an entry of this term is
     * committed ({@code termEntryCommitted}) a quorum has acknowledged an append sent no
     * earlier than the election, and a follower makes its promise on any message from the
     * leader: the election tick then counts as acknowledged.
     */
    long leaseStartTick(JointConfig voters, long selfId, long nowTick, boolean termEntryCommitted) {
        // The quorum computation reads a missing voter as index 0, and 0 is also a real tick:
        // shift ticks up by one so that 0 can only mean "no quorum".
        long start = voters.committedIndex(voter -> {
            if (voter == selfId) {
                return nowTick + 1;
            }
            Long tick = leaseAcks.get(voter);
            return tick == null ? AckedIndexer.NOT_FOUND : tick + 1;
        });
        long fromHeartbeats = start - 1;
        return termEntryCommitted ? Math.max(fromHeartbeats, leaderSinceTick) : fromHeartbeats;
    }

    /** Drops the lease acknowledgements: only heartbeats sent at {@code nowTick} or later count. */
    void forgetLeaseAcks(long nowTick) {
        leaseAcks.clear();
        leaseFloorTick = nowTick;
        leaderSinceTick = -1;
    }

    @Override
    public long ackedIndex(long voterId) {
        Long position = acks.get(voterId);
        return position == null ? AckedIndexer.NOT_FOUND : position;
    }

    /** Removes and returns the requests a quorum has confirmed, oldest first. */
    List<ReadIndexRequest> maybeAdvance(JointConfig voters) {
        long newConfirmedReads = voters.committedIndex(this);
        if (newConfirmedReads <= confirmedReads) {
            return List.of();
        }
        List<ReadIndexRequest> confirmed = unconfirmedReads.subList(0, (int) (newConfirmedReads - confirmedReads));
        List<ReadIndexRequest> result = List.copyOf(confirmed);
        confirmed.clear();
        confirmedReads = newConfirmedReads;
        return result;
    }

    /** The context heartbeats carry: the number of the newest request, or null if none waits. */
    ByteString heartbeatCtx() {
        if (unconfirmedReads.isEmpty()) {
            return null;
        }
        long position = confirmedReads + unconfirmedReads.size();
        return ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, position));
    }

    /** The heartbeat context with the lease tick appended (the read position is 0 if none waits). */
    ByteString heartbeatCtxWithLease(long nowTick) {
        long position = unconfirmedReads.isEmpty() ? 0 : confirmedReads + unconfirmedReads.size();
        return ByteString.copyFrom(ByteBuffer.allocate(2 * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, position).putLong(Long.BYTES, nowTick));
    }
}
