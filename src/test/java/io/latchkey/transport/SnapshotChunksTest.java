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
    private static final int SHA256_BYTES = 32;

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
        byte[] withoutEndMark = Arrays.copyOf(wire, wire.length - SHA256_BYTES - Integer.BYTES);
        byte[] withoutDigest = Arrays.copyOf(wire, wire.length - SHA256_BYTES);
        byte[] insideAChunk = Arrays.copyOf(wire, CHUNK_BYTES / 2);

        assertThatThrownBy(() -> reader(withoutEndMark, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("end mark");
        assertThatThrownBy(() -> reader(withoutDigest, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("SHA-256");
        assertThatThrownBy(() -> reader(insideAChunk, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("inside a chunk");
    }

    @Test
    void aByteDamagedOnTheWay_failsTheDigestAtTheEnd_beforeTheReaderSeesTheEnd() throws IOException {
        byte[] data = new byte[3 * CHUNK_BYTES];
        new Random(9).nextBytes(data);
        byte[] wire = framed(data);
        wire[Integer.BYTES + CHUNK_BYTES + Integer.BYTES + 17] ^= 1;

        assertThatThrownBy(() -> reader(wire, Long.MAX_VALUE).readAllBytes())
                .isInstanceOf(IOException.class).hasMessageContaining("does not match its SHA-256");
    }

    @Test
    void aSenderWithoutTheDigest_isReadUnchecked_whenItsRequestSaysSo() throws IOException {
        byte[] data = new byte[2 * CHUNK_BYTES];
        byte[] wire = framed(data);
        byte[] asOlderSendersFrameIt = Arrays.copyOf(wire, wire.length - SHA256_BYTES);

        SnapshotChunks.Reader reader = new SnapshotChunks.Reader(new ByteArrayInputStream(asOlderSendersFrameIt),
                CHUNK_BYTES, Long.MAX_VALUE, false);

        assertThat(reader.readAllBytes()).isEqualTo(data);
        assertThat(reader.ended()).isTrue();
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
        return new SnapshotChunks.Reader(new ByteArrayInputStream(wire), CHUNK_BYTES, totalBytesMax, true);
    }
}
