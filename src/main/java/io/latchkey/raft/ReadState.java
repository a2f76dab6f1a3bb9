package io.latchkey.raft;

import com.google.protobuf.ByteString;

/**
 * The answer to a ReadIndex request: once the application has applied up to {@code index},
 * a read identified by {@code requestCtx} may be served linearizably.
 */
public record ReadState(long index, ByteString requestCtx) {
    /** Prints like etcd's {@code %v} of a ReadState, e.g. {@code {5 [114 49]}}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("{").append(Long.toUnsignedString(index)).append(" [");
        for (int i = 0; i < requestCtx.size(); i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(requestCtx.byteAt(i) & 0xff);
        }
        return out.append("]}").toString();
    }
}
