package io.latchkey.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.WireFormat;
import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.StateSnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a {@link StateSnapshot} element by element (the counterpart of {@link StateImage}):
 * the tables' elements are parsed one at a time into lists, and no message of the whole state
 * is built, so protobuf's 2 GiB message limit does not bound the state.
 */
final class StateSnapshotReader {
    /** The scalar fields (as a StateSnapshot without elements) and the tables' elements in order. */
    record Read(StateSnapshot scalars, List<KeyValue> keys, List<Lease> leases, List<LockState> locks,
                List<Event> history) {
    }

    private StateSnapshotReader() {
    }

    static Read read(InputStream in) throws IOException {
        List<KeyValue> keys = new ArrayList<>();
        List<Lease> leases = new ArrayList<>();
        List<LockState> locks = new ArrayList<>();
        List<Event> history = new ArrayList<>();
        StateSnapshot scalars = scan(in, element -> {
            switch (element) {
                case KeyValue kv -> keys.add(kv);
                case Lease lease -> leases.add(lease);
                case LockState lock -> locks.add(lock);
                case Event event -> history.add(event);
                default -> throw new IllegalStateException("not a table element: " + element.getClass());
            }
        });
        return new Read(scalars, keys, leases, locks, history);
    }

    /**
     * Parses the snapshot, handing each table element to {@code elements} as it is read, and
     * returns the scalar fields: memory stays at one element, whatever the state's size.
     */
    static StateSnapshot scan(InputStream in, Consumer<MessageLite> elements) throws IOException {
        CodedInputStream coded = CodedInputStream.newInstance(in);
        ByteString.Output scalarBytes = ByteString.newOutput();
        CodedOutputStream scalarOut = CodedOutputStream.newInstance(scalarBytes);
        for (int tag; (tag = coded.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case StateSnapshot.KEYS_FIELD_NUMBER -> elements.accept(element(coded, tag, KeyValue.parser()));
                case StateSnapshot.LEASES_FIELD_NUMBER -> elements.accept(element(coded, tag, Lease.parser()));
                case StateSnapshot.LOCKS_FIELD_NUMBER -> elements.accept(element(coded, tag, LockState.parser()));
                case StateSnapshot.HISTORY_FIELD_NUMBER -> elements.accept(element(coded, tag, Event.parser()));
                default -> coded.skipField(tag, scalarOut);
            }
            // The size limit counts bytes per message; here every element is one.
            coded.resetSizeCounter();
        }
        scalarOut.flush();
        return StateSnapshot.parseFrom(scalarBytes.toByteString());
    }

    private static <T extends MessageLite> T element(CodedInputStream coded, int tag, Parser<T> parser) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            throw new InvalidProtocolBufferException("snapshot field " + WireFormat.getTagFieldNumber(tag)
                    + " is not a message");
        }
        return coded.readMessage(parser, com.google.protobuf.ExtensionRegistryLite.getEmptyRegistry());
    }
}
