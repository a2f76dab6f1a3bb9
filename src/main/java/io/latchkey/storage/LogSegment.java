package io.latchkey.storage;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.Entry;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run of consecutive entries as one row of {@code log_segment} (see
 * {@code db/migration/V2__log_segments.sql}): each entry as a 4-byte big-endian length and its
 * protobuf encoding, concatenated.
 */
record LogSegment(long firstIndex, long lastIndex, byte[] encoded) {
    /**
     * Segments are cut at this size (an entry larger than it gets one of its own), so that a
     * cold read of one entry fetches a bounded row, while a Ready of typical size is one row.
     */
    static final int SIZE_BYTES_MAX = 64 << 10;
    private static final int LENGTH_BYTES = Integer.BYTES;

    /** Contiguous {@code entries} as segments of at most {@link #SIZE_BYTES_MAX} each. */
    static List<LogSegment> encode(List<Entry> entries) {
        List<LogSegment> segments = new ArrayList<>(1);
        int from = 0;
        while (from < entries.size()) {
            int to = from + 1;
            int sizeBytes = LENGTH_BYTES + entries.get(from).getSerializedSize();
            while (to < entries.size() && sizeBytes + LENGTH_BYTES + entries.get(to).getSerializedSize() <= SIZE_BYTES_MAX) {
                sizeBytes += LENGTH_BYTES + entries.get(to).getSerializedSize();
                to++;
            }
            segments.add(encode(entries.subList(from, to), sizeBytes));
            from = to;
        }
        return segments;
    }

    private static LogSegment encode(List<Entry> run, int sizeBytes) {
        byte[] encoded = new byte[sizeBytes];
        CodedOutputStream out = CodedOutputStream.newInstance(encoded);
        try {
            for (Entry entry : run) {
                int length = entry.getSerializedSize();
                out.writeRawByte((byte) (length >>> 24));
                out.writeRawByte((byte) (length >>> 16));
                out.writeRawByte((byte) (length >>> 8));
                out.writeRawByte((byte) length);
                entry.writeTo(out);
            }
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("an entry's serialized size changed while it was encoded", e);
        }
        return new LogSegment(run.get(0).getIndex(), run.get(run.size() - 1).getIndex(), encoded);
    }

    boolean contains(long index) {
        return index >= firstIndex && index <= lastIndex;
    }

    /** The held entries in {@code [from, to)}; only those are decoded. */
    List<Entry> decode(long from, long to) throws SQLException {
        long end = Math.min(to, lastIndex + 1);
        List<Entry> result = new ArrayList<>((int) Math.max(0, end - Math.max(from, firstIndex)));
        try {
            ByteBuffer buffer = ByteBuffer.wrap(encoded);
            for (long index = firstIndex; index < end; index++) {
                int length = buffer.getInt();
                if (index >= from) {
                    result.add(Entry.parser().parseFrom(encoded, buffer.position(), length));
                }
                buffer.position(buffer.position() + length);
            }
        } catch (BufferUnderflowException | IllegalArgumentException | InvalidProtocolBufferException e) {
            throw damaged(e);
        }
        return result;
    }

    /** This segment cut after {@code index}, which it holds. */
    LogSegment prefixThrough(long index) throws SQLException {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(encoded);
            for (long i = firstIndex; i <= index; i++) {
                int length = buffer.getInt();
                buffer.position(buffer.position() + length);
            }
            return new LogSegment(firstIndex, index, Arrays.copyOf(encoded, buffer.position()));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(e);
        }
    }

    private SQLException damaged(Exception cause) {
        return new SQLException("stored log segment [" + firstIndex + ", " + lastIndex + "] does not decode",
                "XX001", cause);
    }
}
