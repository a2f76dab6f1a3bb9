package io.latchkey.node.sim;

import com.google.protobuf.ByteString;
import io.latchkey.node.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * The simulator's replicated state: a counter of applied commands. A command is an 8-byte
 * operation id (a client's retry reuses its id); applying one adds 1 and returns the
 * operation id and the new total, so the totals acknowledged to clients show the order
 * commands took effect in, and a client can tell its own result from another command's.
 */
public final class CounterStateMachine implements StateMachine {
    /** Told every applied (index, payload) so the checker can compare replicas. */
    public interface ApplyObserver {
        void applied(long index, ByteString payload);
    }

    private final ApplyObserver observer;
    private long total;

    public CounterStateMachine(ApplyObserver observer) {
        this.observer = observer;
    }

    static ByteString encode(long value) {
        return ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).putLong(0, value));
    }

    static long decode(ByteString bytes) {
        return bytes.asReadOnlyByteBuffer().getLong();
    }

    /** What applying a command returns: the command's operation id and the total after it. */
    record Applied(long operationId, long total) {
        static Applied decode(ByteString bytes) {
            ByteBuffer buffer = bytes.asReadOnlyByteBuffer();
            return new Applied(buffer.getLong(), buffer.getLong());
        }
    }

    long total() {
        return total;
    }

    @Override
    public ByteString apply(long index, ByteString command) {
        observer.applied(index, command);
        total++;
        return ByteString.copyFrom(ByteBuffer.allocate(2 * Long.BYTES).putLong(decode(command)).putLong(total).flip());
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        new DataOutputStream(out).writeLong(total);
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        total = new DataInputStream(in).readLong();
    }
}
