package io.latchkey.storage;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run of consecutive entries as one row of {@code log_segment}, in the compact encoding of
 * {@code db/migration/V3__compact_segments.sql}. The bytes a durable write makes the server
 * copy into its WAL are what a Ready of many entries costs, so nothing the row already says
 * is repeated per entry: the index follows from the row's first index and the position, a
 * term is written only where it changes, and the type shares the entry's header byte.
 *
 * <pre>
 * segment := FORMAT entry*
 * entry   := header [term: varint, if TERM_WRITTEN] [length: varint, data, if HAS_DATA]
 *          | header(RAW) length: varint, protobuf Entry
 * header  := RAW | TERM_WRITTEN | NO_TERM | HAS_DATA | HAS_TYPE | type number (3 bits)
 * </pre>
 * Field presence is kept (an unset term or type reads back unset), so a decoded entry equals
 * the one written. An entry the compact form cannot say exactly (unknown fields, no index)
 * is stored RAW. A term is written at the first entry of a segment and wherever it differs
 * from the previous entry's, so any prefix of a segment is a valid segment.
 */
record LogSegment(long firstIndex, long lastIndex, byte[] encoded) {
    /**
     * Segments are cut at this size (an entry larger than it gets one of its own), so that a
     * cold read of one entry fetches a bounded row, while a Ready of typical size is one row.
     */
    static final int SIZE_BYTES_MAX = 64 << 10;

    /** The first byte of every segment; another value means damage or a format this build does not know. */
    static final byte FORMAT = 1;
    private static final int RAW = 0x80;
    private static final int TERM_WRITTEN = 0x40;
    private static final int NO_TERM = 0x20;
    private static final int HAS_DATA = 0x10;
    private static final int HAS_TYPE = 0x08;
    private static final int TYPE_MASK = 0x07;

    /** Contiguous {@code entries} as segments of at most {@link #SIZE_BYTES_MAX} each. */
    static List<LogSegment> encode(List<Entry> entries) {
        List<LogSegment> segments = new ArrayList<>(1);
        int from = 0;
        while (from < entries.size()) {
            int sizeBytes = 1 + encodedSize(entries.get(from), true, 0);
            int to = from + 1;
            for (; to < entries.size(); to++) {
                int next = encodedSize(entries.get(to), false, entries.get(to - 1).getTerm());
                if (sizeBytes + next > SIZE_BYTES_MAX) {
                    break;
                }
                sizeBytes += next;
            }
            segments.add(encode(entries.subList(from, to), sizeBytes));
            from = to;
        }
        return segments;
    }

    private static boolean isCompact(Entry entry) {
        return entry.hasIndex() && entry.getUnknownFields().asMap().isEmpty()
                && entry.getType().getNumber() <= TYPE_MASK;
    }

    private static boolean writesTerm(Entry entry, boolean first, long previousTerm) {
        return entry.hasTerm() && (first || entry.getTerm() != previousTerm);
    }

    private static int encodedSize(Entry entry, boolean first, long previousTerm) {
        if (!isCompact(entry)) {
            return 1 + CodedOutputStream.computeUInt32SizeNoTag(entry.getSerializedSize()) + entry.getSerializedSize();
        }
        int size = 1;
        if (writesTerm(entry, first, previousTerm)) {
            size += CodedOutputStream.computeUInt64SizeNoTag(entry.getTerm());
        }
        if (entry.hasData()) {
            size += CodedOutputStream.computeBytesSizeNoTag(entry.getData());
        }
        return size;
    }

    private static LogSegment encode(List<Entry> run, int sizeBytes) {
        byte[] encoded = new byte[sizeBytes];
        CodedOutputStream out = CodedOutputStream.newInstance(encoded);
        try {
            out.writeRawByte(FORMAT);
            long previousTerm = 0;
            for (int i = 0; i < run.size(); i++) {
                Entry entry = run.get(i);
                if (!isCompact(entry)) {
                    out.writeRawByte((byte) RAW);
                    out.writeUInt32NoTag(entry.getSerializedSize());
                    entry.writeTo(out);
                } else {
                    boolean writesTerm = writesTerm(entry, i == 0, previousTerm);
                    int header = (writesTerm ? TERM_WRITTEN : 0) | (entry.hasTerm() ? 0 : NO_TERM)
                            | (entry.hasData() ? HAS_DATA : 0)
                            | (entry.hasType() ? HAS_TYPE | entry.getType().getNumber() : 0);
                    out.writeRawByte((byte) header);
                    if (writesTerm) {
                        out.writeUInt64NoTag(entry.getTerm());
                    }
                    if (entry.hasData()) {
                        out.writeBytesNoTag(entry.getData());
                    }
                }
                previousTerm = entry.getTerm();
            }
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("an entry's serialized size changed while it was encoded", e);
        }
        return new LogSegment(run.get(0).getIndex(), run.get(run.size() - 1).getIndex(), encoded);
    }

    /** The checksum stored with the row (schema version 5). */
    int crc32c() {
        return Checksums.crc32c(encoded);
    }

    boolean contains(long index) {
        return index >= firstIndex && index <= lastIndex;
    }

    /** The held entries in {@code [from, to)}; only those are built, the ones before are skipped. */
    List<Entry> decode(long from, long to) throws SQLException {
        long end = Math.min(to, lastIndex + 1);
        List<Entry> result = new ArrayList<>((int) Math.max(0, end - Math.max(from, firstIndex)));
        new Reader().read(end, from, result);
        return result;
    }

    /** This segment cut after {@code index}, which it holds. */
    LogSegment prefixThrough(long index) throws SQLException {
        int sizeBytes = new Reader().read(index + 1, Long.MAX_VALUE, null);
        return new LogSegment(firstIndex, index, Arrays.copyOf(encoded, sizeBytes));
    }

    /** Walks the segment from its start, tracking the term that entries without one repeat. */
    private final class Reader {
        private final CodedInputStream in = CodedInputStream.newInstance(encoded);

        /**
         * Reads the entries before {@code end}, adding those from {@code keepFrom} on to
         * {@code kept}; returns the number of bytes they take.
         */
        int read(long end, long keepFrom, List<Entry> kept) throws SQLException {
            try {
                in.setSizeLimit(Integer.MAX_VALUE);
                if (in.readRawByte() != FORMAT) {
                    throw damaged(new IllegalArgumentException("unknown segment format " + encoded[0]));
                }
                long term = 0;
                for (long index = firstIndex; index < end; index++) {
                    boolean keep = index >= keepFrom;
                    int header = in.readRawByte() & 0xff;
                    if ((header & RAW) != 0) {
                        int length = in.readRawVarint32();
                        if (keep) {
                            Entry entry = Entry.parseFrom(in.readRawBytes(length));
                            if (entry.getIndex() != index) {
                                throw damaged(new IllegalArgumentException("entry at " + index + " says " + entry.getIndex()));
                            }
                            term = entry.getTerm();
                            kept.add(entry);
                        } else {
                            // Skipped entries still set the term a following entry may repeat.
                            term = Entry.parseFrom(in.readRawBytes(length)).getTerm();
                        }
                        continue;
                    }
                    if ((header & TERM_WRITTEN) != 0) {
                        term = in.readUInt64();
                    } else if ((header & NO_TERM) != 0) {
                        term = 0;
                    } else if (index == firstIndex) {
                        throw damaged(new IllegalArgumentException("the first entry repeats a term"));
                    }
                    if (!keep) {
                        if ((header & HAS_DATA) != 0) {
                            in.skipRawBytes(in.readRawVarint32());
                        }
                        continue;
                    }
                    Entry.Builder entry = Entry.newBuilder().setIndex(index);
                    if ((header & NO_TERM) == 0) {
                        entry.setTerm(term);
                    }
                    if ((header & HAS_TYPE) != 0) {
                        EntryType type = EntryType.forNumber(header & TYPE_MASK);
                        if (type == null) {
                            throw damaged(new IllegalArgumentException("entry type " + (header & TYPE_MASK)));
                        }
                        entry.setType(type);
                    }
                    if ((header & HAS_DATA) != 0) {
                        entry.setData(in.readBytes());
                    }
                    kept.add(entry.build());
                }
                if (end > lastIndex && !in.isAtEnd()) {
                    throw damaged(new IllegalArgumentException("bytes after the last entry"));
                }
                return in.getTotalBytesRead();
            } catch (IOException | IllegalArgumentException e) {
                throw damaged(e);
            }
        }
    }

    private SQLException damaged(Exception cause) {
        return new SQLException("stored log segment [" + firstIndex + ", " + lastIndex + "] does not decode",
                "XX001", cause);
    }
}
