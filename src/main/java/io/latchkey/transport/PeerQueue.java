package io.latchkey.transport;

import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Messages waiting for one peer, bounded by count and by serialized bytes. Producers never
 * wait: {@link #offer} refuses instead. The single consumer takes whole batches.
 */
final class PeerQueue {
    private final int messagesMax;
    private final long bytesMax;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Condition closing = lock.newCondition();
    private final ArrayDeque<Message> messages = new ArrayDeque<>();
    // Invariant: bytes == sum of getSerializedSize() over messages; 0 <= bytes <= bytesMax.
    private long bytes;
    private boolean closed;
    /** When the oldest message now queued was queued (or, after a partial take, the take). */
    private long oldestQueuedNanos;

    PeerQueue(int messagesMax, long bytesMax) {
        this.messagesMax = messagesMax;
        this.bytesMax = bytesMax;
    }

    /** Queues the message unless a bound would be exceeded or the queue is closed. */
    boolean offer(Message message) {
        int size = message.getSerializedSize();
        lock.lock();
        try {
            if (closed || messages.size() >= messagesMax || bytes + size > bytesMax) {
                return false;
            }
            if (messages.isEmpty()) {
                oldestQueuedNanos = System.nanoTime();
            }
            messages.addLast(message);
            bytes += size;
            changed.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for messages and moves the next batch into {@code batch}: everything queued up to
     * {@code batchBytesMax} (at least one message), or a {@code MsgSnap} alone because it travels
     * on its own request. Returns false once closed.
     */
    boolean takeBatch(List<Message> batch, int batchBytesMax) throws InterruptedException {
        return takeBatch(batch, batchBytesMax, null);
    }

    /** As {@link #takeBatch(List, int)}; tells {@code waited} how long the batch's oldest message waited. */
    boolean takeBatch(List<Message> batch, int batchBytesMax, java.util.function.LongConsumer waited)
            throws InterruptedException {
        lock.lock();
        try {
            while (messages.isEmpty() && !closed) {
                changed.await();
            }
            if (closed) {
                return false;
            }
            long now = System.nanoTime();
            if (waited != null) {
                waited.accept(now - oldestQueuedNanos);
            }
            oldestQueuedNanos = now;
            long batchBytes = 0;
            while (!messages.isEmpty()) {
                Message next = messages.peekFirst();
                boolean snapshot = next.getType() == MessageType.MsgSnap;
                int size = next.getSerializedSize();
                if (!batch.isEmpty() && (snapshot || batchBytes + size > batchBytesMax)) {
                    break;
                }
                batch.add(messages.removeFirst());
                bytes -= size;
                batchBytes += size;
                if (snapshot) {
                    break;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Pauses the consumer for {@code millis} unless the queue closes first; returns false if closed. */
    boolean pause(long millis) throws InterruptedException {
        long remainingNanos = TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (!closed && remainingNanos > 0) {
                remainingNanos = closing.awaitNanos(remainingNanos);
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the queue and returns what was still waiting (never to be sent). */
    List<Message> close() {
        lock.lock();
        try {
            closed = true;
            List<Message> left = new ArrayList<>(messages);
            messages.clear();
            bytes = 0;
            changed.signalAll();
            closing.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
