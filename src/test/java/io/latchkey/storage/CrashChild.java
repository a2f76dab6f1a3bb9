package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The process {@link StorageCrashTest} kills: a node that opens its storage (embedded
 * PostgreSQL under a data directory, as a default node does) and writes Raft-like Readies
 * until it is killed. Before each write it announces it ({@code READY} / {@code COMPACT}),
 * after the write returns it reports {@code ACK}: an acknowledged write must survive the
 * kill, an announced one may or may not. Each line goes to a transcript file with one
 * write(2) (what the checker trusts: it is complete up to the kill) and to stdout (how the
 * checker follows progress).
 *
 * <p>Args: data directory, seed, transcript file.
 */
public final class CrashChild {
    static final String SCHEMA = "node_1";
    static final NodeIdentity IDENTITY = new NodeIdentity(1, 0xc0ffee);
    private static final int ENTRIES_PER_READY_MAX = 20;

    private CrashChild() {
    }

    public static void main(String[] args) {
        Path dataDir = Path.of(args[0]);
        Random random = new Random(Long.parseLong(args[1]));
        Transcript out = new Transcript(Path.of(args[2]));
        try (PostgresLogStore store = PostgresLogStore.open(StorageConfig.embedded(dataDir, SCHEMA), IDENTITY)) {
            long first = store.firstIndex();
            long last = store.lastIndex();
            HardState hs = store.hardState();
            long term = Math.max(1, Math.max(hs.getTerm(), store.term(last)));
            long commit = hs.getCommit();
            report(out, "START " + first + " " + last + " " + term + " " + commit);
            for (long seq = 0; ; seq++) {
                double dice = random.nextDouble();
                if (dice < 0.08 && commit >= first) {
                    long index = first + (long) (random.nextDouble() * (commit - first + 1));
                    report(out, "COMPACT " + seq + " " + index);
                    store.compact(index);
                    first = index + 1;
                } else {
                    long writeFrom = last + 1;
                    if (dice < 0.2) {
                        // A new leader overwrote our uncommitted tail: new term, truncation.
                        term++;
                        long lowest = Math.max(commit + 1, first);
                        writeFrom = lowest + (long) (random.nextDouble() * (last + 2 - lowest));
                    }
                    int count = random.nextInt(ENTRIES_PER_READY_MAX + 1);
                    if (count == 0) {
                        // A Ready with only a hard state: nothing is truncated.
                        writeFrom = last + 1;
                    }
                    long newLast = count == 0 ? last : writeFrom + count - 1;
                    commit = commit + (long) (random.nextDouble() * (newLast - commit + 1));
                    report(out, "READY " + seq + " " + writeFrom + " " + count + " " + term + " " + commit);
                    store.persist(HardState.newBuilder().setTerm(term).setVote(1).setCommit(commit).build(),
                            entries(writeFrom, count, term), null);
                    last = newLast;
                }
                report(out, "ACK " + seq);
            }
        }
    }

    static List<Entry> entries(long first, int count, long term) {
        List<Entry> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add(Entry.newBuilder().setIndex(first + i).setTerm(term).setData(data(first + i, term)).build());
        }
        return result;
    }

    /** Entry content follows from its position, so the checker can verify it without a copy. */
    static ByteString data(long index, long term) {
        String unit = index + ":" + term + ";";
        return ByteString.copyFromUtf8(unit.repeat(1 + (int) ((index * 31 + term) % 8)));
    }

    private static void report(Transcript out, String line) {
        out.line(line);
    }

    /** Unbuffered: a line is in the file (the kernel's page cache) once write(2) returned. */
    private static final class Transcript {
        private final FileOutputStream file;

        Transcript(Path path) {
            try {
                file = new FileOutputStream(path.toFile(), true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void line(String line) {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                file.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.print(line + "\n");
            System.out.flush();
        }
    }
}
