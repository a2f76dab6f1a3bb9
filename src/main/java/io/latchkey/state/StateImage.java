package io.latchkey.state;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.latchkey.node.SnapshotImage;
import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.StateSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The state at one revision, captured for a snapshot written later: copies of the sorted
 * tables' element lists (references to immutable protobuf values, no serialization), so the
 * loop spends one pass over references while the encoding runs elsewhere.
 *
 * <p>It writes a {@link StateSnapshot} element by element: the scalar fields, then each
 * repeated field's elements in order, exactly the bytes the whole message encodes to. No
 * message of the whole state is built, so its size is not bounded by protobuf's 2 GiB.
 */
public final class StateImage implements SnapshotImage {
    private final StateSnapshot scalars;
    private final List<KeyValue> keys;
    private final List<Lease> leases;
    private final List<LockState> locks;
    private final List<Event> history;

    StateImage(StateSnapshot scalars, List<KeyValue> keys, List<Lease> leases, List<LockState> locks, List<Event> history) {
        this.scalars = scalars;
        this.keys = keys;
        this.leases = leases;
        this.locks = locks;
        this.history = history;
    }

    /** The revision the state was captured at. */
    public long revision() {
        return scalars.getRevision();
    }

    @Override
    public long sizeBytes() {
        return scalars.getSerializedSize()
                + size(StateSnapshot.KEYS_FIELD_NUMBER, keys)
                + size(StateSnapshot.LEASES_FIELD_NUMBER, leases)
                + size(StateSnapshot.LOCKS_FIELD_NUMBER, locks)
                + size(StateSnapshot.HISTORY_FIELD_NUMBER, history);
    }

    private static long size(int field, List<? extends MessageLite> elements) {
        long size = 0;
        for (MessageLite element : elements) {
            size += CodedOutputStream.computeMessageSize(field, element);
        }
        return size;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        scalars.writeTo(coded);
        write(coded, StateSnapshot.KEYS_FIELD_NUMBER, keys);
        write(coded, StateSnapshot.LEASES_FIELD_NUMBER, leases);
        write(coded, StateSnapshot.LOCKS_FIELD_NUMBER, locks);
        write(coded, StateSnapshot.HISTORY_FIELD_NUMBER, history);
        coded.flush();
    }

    private static void write(CodedOutputStream coded, int field, List<? extends MessageLite> elements) throws IOException {
        for (MessageLite element : elements) {
            coded.writeMessage(field, element);
        }
    }
}
