package io.latchkey.node;

import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Turns what a {@link Replica} reports into stage latencies ({@link WriteStage}) by log index:
 * the time its entries were handed out, acknowledged by each follower, committed and applied.
 * The replica reads no clock; this observer does. On the loop thread, except that a follower's
 * acknowledgements are reported from the storage writer that sends them (see
 * {@link Replica#persist}), so what they touch is guarded. What it tracks is
 * bounded ({@link #TRACKED_MAX} per queue): under heavy load the oldest marks are dropped,
 * which only thins the samples.
 */
public final class WriteStageTracker implements ReplicaEvents {
    static final int TRACKED_MAX = 4096;

    private final LongSupplier clock;
    private final WriteStage.Timer timer;
    private final ReplicaEvents next;
    /** Leader: (last index, nanos) of entries handed to storage and peers, not yet committed. */
    private final Marks appended = new Marks();
    /** Leader: (commit index, nanos) seen, not yet applied. */
    private final Marks committed = new Marks();
    /** Leader: per follower, (last index, nanos) of appends sent, not yet acknowledged. */
    private final Map<Long, Marks> sentAppends = new HashMap<>();
    /** Follower: (last index, nanos) of appends stepped, not yet acknowledged. Guarded by itself. */
    private final Marks receivedAppends = new Marks();

    public WriteStageTracker(LongSupplier clock, WriteStage.Timer timer, ReplicaEvents next) {
        this.clock = clock;
        this.timer = timer;
        this.next = next;
    }

    @Override
    public void leaderChanged(long leaderId) {
        appended.clear();
        committed.clear();
        sentAppends.clear();
        synchronized (receivedAppends) {
            receivedAppends.clear();
        }
        next.leaderChanged(leaderId);
    }

    @Override
    public void proposed() {
        next.proposed();
    }

    @Override
    public void proposalFinished(boolean applied) {
        next.proposalFinished(applied);
    }

    @Override
    public void snapshot(long index, long sizeBytes) {
        next.snapshot(index, sizeBytes);
    }

    @Override
    public void peerUnreachable(long peerId) {
        next.peerUnreachable(peerId);
    }

    @Override
    public void appending(long lastIndex, boolean leader) {
        if (leader) {
            appended.add(lastIndex, clock.getAsLong());
        }
    }

    @Override
    public void committing(long commitIndex) {
        long now = clock.getAsLong();
        if (appended.record(commitIndex, now, WriteStage.REPLICATE, timer) >= 0) {
            committed.add(commitIndex, now);
        }
    }

    @Override
    public void applied(long appliedIndex) {
        committed.record(appliedIndex, clock.getAsLong(), WriteStage.APPLY, timer);
    }

    @Override
    public void received(Message message) {
        if (message.getType() == MessageType.MsgApp && message.getEntriesCount() > 0) {
            long now = clock.getAsLong();
            synchronized (receivedAppends) {
                receivedAppends.add(message.getIndex() + message.getEntriesCount(), now);
            }
        } else if (message.getType() == MessageType.MsgAppResp && !message.getReject()) {
            Marks sent = sentAppends.get(message.getFrom());
            if (sent != null) {
                long newest = sent.record(message.getIndex(), clock.getAsLong(), WriteStage.PEER_ROUND_TRIP, timer);
                if (newest >= 0) {
                    next.peerRoundTrip(message.getFrom(), newest);
                }
            }
        }
    }

    @Override
    public void sending(List<Message> messages) {
        long now = 0;
        for (Message m : messages) {
            boolean append = m.getType() == MessageType.MsgApp && m.getEntriesCount() > 0;
            boolean ack = m.getType() == MessageType.MsgAppResp && !m.getReject();
            if (!append && !ack) {
                continue;
            }
            if (now == 0) {
                now = clock.getAsLong();
            }
            if (append) {
                sentAppends.computeIfAbsent(m.getTo(), id -> new Marks())
                        .add(m.getIndex() + m.getEntriesCount(), now);
            } else {
                synchronized (receivedAppends) {
                    receivedAppends.record(m.getIndex(), now, WriteStage.FOLLOWER_ACK, timer);
                }
            }
        }
    }

    /** Index marks in increasing index order, oldest first. */
    private static final class Marks {
        private final ArrayDeque<long[]> marks = new ArrayDeque<>();

        void add(long index, long nanos) {
            // A mark at or below the newest one means the log was overwritten: forget those.
            while (!marks.isEmpty() && marks.peekLast()[0] >= index) {
                marks.pollLast();
            }
            if (marks.size() == TRACKED_MAX) {
                marks.pollFirst();
            }
            marks.addLast(new long[]{index, nanos});
        }

        /** Records the latency of every mark up to {@code index}; returns the newest one's, or -1 if none. */
        long record(long index, long now, WriteStage stage, WriteStage.Timer timer) {
            long newest = -1;
            while (!marks.isEmpty() && marks.peekFirst()[0] <= index) {
                newest = now - marks.pollFirst()[1];
                timer.record(stage, newest);
            }
            return newest;
        }

        void clear() {
            marks.clear();
        }
    }
}
