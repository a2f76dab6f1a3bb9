package io.latchkey.api;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Hands a response stream its bytes in slices smaller than the web server's write buffer.
 * Helidon 4.4.0 mishandles one {@code write(b, off, len)} that bypasses its buffer (len at
 * least the 4 KiB {@code write-buffer-size}) with {@code off > 0}: over a plain socket
 * {@code FixedBufferData.writeTo} throws IndexOutOfBoundsException after the headers went out.
 * Protobuf writes every value larger than its own buffer that way. Slices this small are always copied into Helidon's buffer. (Large
 * answers can still end short or mis-framed on Helidon 4.4.0's NIO sockets: README, "Backup
 * and restore".) Remove once Helidon is upgraded past 4.4.0.
 */
final class SlicedWrites extends FilterOutputStream {
    private static final int SLICE_BYTES = 2048;

    SlicedWrites(OutputStream out) {
        super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int done = 0; done < len; ) {
            int n = Math.min(SLICE_BYTES, len - done);
            out.write(b, off + done, n);
            done += n;
        }
    }
}
