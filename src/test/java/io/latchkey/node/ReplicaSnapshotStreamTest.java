package io.latchkey.node;

import com.google.protobuf.ByteString;
import io.latchkey.node.proto.AppliedRequest;
import io.latchkey.node.proto.Member;
import io.latchkey.node.proto.ReplicaSnapshot;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica snapshot written with its state streamed is the message's own encoding, and reads
 * back with the state handed over as a stream: neither side holds it as one value.
 */
@Tag("state")
class ReplicaSnapshotStreamTest {
    private static final List<Member> MEMBERS = List.of(
            Member.newBuilder().setId(1).setName("node-1").setPeerUrl("http://a:2380").build(),
            Member.newBuilder().setId(2).setName("node-2").setPeerUrl("http://b:2380").build());
    private static final List<AppliedRequest> REQUESTS = List.of(
            AppliedRequest.newBuilder().setIdempotencyKey("k1").setIndex(7).setResult(ByteString.copyFromUtf8("ok"))
                    .setAppliedAtMillis(1000).build());

    @Test
    void streamedImage_isTheWholeMessagesEncoding_andReadsBackWithItsStateAsAStream() throws IOException {
        byte[] state = new byte[300_000];
        new Random(3).nextBytes(state);
        ReplicaSnapshot whole = ReplicaSnapshot.newBuilder().setClusterId(0xc1).addAllMembers(MEMBERS)
                .addAllAppliedRequests(REQUESTS).setState(ByteString.copyFrom(state)).setRequestsClockMillis(1234).build();
        SnapshotImage image = new ReplicaSnapshotImage(0xc1, MEMBERS, REQUESTS, 1234, SnapshotImage.of(ByteString.copyFrom(state)));

        byte[] written = write(image);

        assertThat(written).isEqualTo(whole.toByteArray());
        assertThat(image.sizeBytes()).isEqualTo(written.length);
        List<byte[]> restored = new ArrayList<>();
        ReplicaSnapshot head = ReplicaSnapshotReader.read(new ByteArrayInputStream(written), in -> restored.add(in.readAllBytes()));
        assertThat(restored).hasSize(1);
        assertThat(restored.getFirst()).isEqualTo(state);
        assertThat(head).isEqualTo(whole.toBuilder().clearState().build());
    }

    @Test
    void aRestorerThatReadsPartOfTheState_stillLetsTheFieldsAfterItBeRead() throws IOException {
        byte[] state = new byte[200_000];
        SnapshotImage image = new ReplicaSnapshotImage(5, MEMBERS, REQUESTS, 99, SnapshotImage.of(ByteString.copyFrom(state)));

        ReplicaSnapshot head = ReplicaSnapshotReader.read(new ByteArrayInputStream(write(image)), in -> in.readNBytes(8));

        assertThat(head.getRequestsClockMillis()).isEqualTo(99);
        assertThat(head.getMembersList()).isEqualTo(MEMBERS);
    }

    @Test
    void anEmptyState_isLeftOutAsProtobufDoes_andRestoredFromAnEmptyStream() throws IOException {
        SnapshotImage image = new ReplicaSnapshotImage(5, MEMBERS, List.of(), 0, SnapshotImage.of(ByteString.EMPTY));

        byte[] written = write(image);

        assertThat(written).isEqualTo(ReplicaSnapshot.newBuilder().setClusterId(5).addAllMembers(MEMBERS).build().toByteArray());
        List<byte[]> restored = new ArrayList<>();
        ReplicaSnapshotReader.read(new ByteArrayInputStream(written), in -> restored.add(in.readAllBytes()));
        assertThat(restored).containsExactly(new byte[0]);
    }

    private static byte[] write(SnapshotImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        image.writeTo(out);
        return out.toByteArray();
    }
}
