package io.latchkey.transport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("transport")
class SnapshotChunksTest {
    private static final int CHUNK_BYTES = 1_000;

    @Test
    void bytesFramedInChunks_readBackWhole_andTheEndMarkIsSeen() throws IOException {
        byte[] data = new byte[10 * CHUNK_BYTES + 7];
        new Random(7).nextBytes(data);

        SnapshotChunks.Reader reader = reader(framed(data), Long.MAX_VALUE);

        assertThat(reader.readAllBytes()).isEqualTo(data);
        assertThat(reader.ended()).isTrue();
    }

    @Test
    void connectionCutMidTransfer_isAnError_notAShorterSnapshot() throws IOException {
        byte[] wire = framed(new byte[3 * CHUNK_BYTES]);
        byte[] withoutEndMark = Arrays.copyOf(wire, wire.length - Integer.BYTES);
        byte[] insideAChunk = Arrays.copyOf(wire, CHUNK_BYTES / 2);

        assertThatThrownBy(() -> reader(withoutEndMark, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("end mark");
        assertThatThrownBy(() -> reader(insideAChunk, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("inside a chunk");
    }

    @Test
    void snapshotOverTheLimit_isRefusedWhileStreaming() throws IOException {
        byte[] wire = framed(new byte[5 * CHUNK_BYTES]);

        assertThatThrownBy(() -> reader(wire, 2 * CHUNK_BYTES).readAllBytes())
                .isInstanceOf(IOException.class).hasMessageContaining("exceeds");
    }

    private static byte[] framed(byte[] data) throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        SnapshotChunks.write(new ByteArrayInputStream(data), wire, CHUNK_BYTES);
        return wire.toByteArray();
    }

    private static SnapshotChunks.Reader reader(byte[] wire, long totalBytesMax) {
        return new SnapshotChunks.Reader(new ByteArrayInputStream(wire), CHUNK_BYTES, totalBytesMax);
    }
}
