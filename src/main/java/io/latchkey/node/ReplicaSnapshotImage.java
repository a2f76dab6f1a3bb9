package io.latchkey.node;

import com.google.protobuf.CodedOutputStream;
import io.latchkey.node.proto.AppliedRequest;
import io.latchkey.node.proto.Member;
import io.latchkey.node.proto.ReplicaSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * A {@link ReplicaSnapshot} written field by field, its state streamed from the state machine's
 * image instead of held as one {@code bytes} value: the same bytes the message would encode to,
 * produced off the loop without the whole state in one buffer.
 */
final class ReplicaSnapshotImage implements SnapshotImage {
    private final ReplicaSnapshot head;
    private final SnapshotImage state;
    private final long requestsClockMillis;

    /** Captured on the loop: the lists are copies, their elements immutable. */
    ReplicaSnapshotImage(long clusterId, List<Member> members, List<AppliedRequest> appliedRequests,
                         long requestsClockMillis, SnapshotImage state) {
        this.head = ReplicaSnapshot.newBuilder().setClusterId(clusterId).addAllMembers(members)
                .addAllAppliedRequests(appliedRequests).build();
        this.state = state;
        this.requestsClockMillis = requestsClockMillis;
    }

    @Override
    public long sizeBytes() {
        long size = head.getSerializedSize() + SnapshotImage.fieldSizeBytes(ReplicaSnapshot.STATE_FIELD_NUMBER, state);
        if (requestsClockMillis != 0) {
            size += CodedOutputStream.computeInt64Size(ReplicaSnapshot.REQUESTS_CLOCK_MILLIS_FIELD_NUMBER, requestsClockMillis);
        }
        return size;
    }

    /** Fields in number order, empty ones left out, as protobuf encodes the whole message. */
    @Override
    public void writeTo(OutputStream out) throws IOException {
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        head.writeTo(coded);
        SnapshotImage.writeField(coded, out, ReplicaSnapshot.STATE_FIELD_NUMBER, state);
        if (requestsClockMillis != 0) {
            coded.writeInt64(ReplicaSnapshot.REQUESTS_CLOCK_MILLIS_FIELD_NUMBER, requestsClockMillis);
        }
        coded.flush();
    }
}
