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
        CodedInputStream coded = CodedInputStream.newInstance(in);
        ByteString.Output scalarBytes = ByteString.newOutput();
        CodedOutputStream scalarOut = CodedOutputStream.newInstance(scalarBytes);
        List<KeyValue> keys = new ArrayList<>();
        List<Lease> leases = new ArrayList<>();
        List<LockState> locks = new ArrayList<>();
        List<Event> history = new ArrayList<>();
        for (int tag; (tag = coded.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case StateSnapshot.KEYS_FIELD_NUMBER -> keys.add(element(coded, tag, KeyValue.parser()));
                case StateSnapshot.LEASES_FIELD_NUMBER -> leases.add(element(coded, tag, Lease.parser()));
                case StateSnapshot.LOCKS_FIELD_NUMBER -> locks.add(element(coded, tag, LockState.parser()));
                case StateSnapshot.HISTORY_FIELD_NUMBER -> history.add(element(coded, tag, Event.parser()));
                default -> coded.skipField(tag, scalarOut);
            }
            // The size limit counts bytes per message; here every element is one.
            coded.resetSizeCounter();
        }
        scalarOut.flush();
        return new Read(StateSnapshot.parseFrom(scalarBytes.toByteString()), keys, leases, locks, history);
    }

    private static <T extends MessageLite> T element(CodedInputStream coded, int tag, Parser<T> parser) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            throw new InvalidProtocolBufferException("snapshot field " + WireFormat.getTagFieldNumber(tag)
                    + " is not a message");
        }
        return coded.readMessage(parser, com.google.protobuf.ExtensionRegistryLite.getEmptyRegistry());
    }
}
