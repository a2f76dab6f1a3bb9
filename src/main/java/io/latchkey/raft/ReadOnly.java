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
 */
final class ReadOnly implements AckedIndexer {
    record ReadIndexRequest(Message req, long index) {
    }

    final ReadOnlyOption option;
    /** Per voter, the highest request number it acknowledged. */
    private final Map<Long, Long> acks = new HashMap<>();
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

    void recvAck(long from, ByteString ctx) {
        if (!ctx.isEmpty()) {
            long position = ctx.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong();
            acks.merge(from, position, Math::max);
        }
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
}
