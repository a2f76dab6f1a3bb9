package io.latchkey.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;

/**
 * How far this node's durable state is known to have come, kept next to node.identity in the
 * data directory ({@value #FILE}): its Raft term and an index up to which its log held committed
 * entries. Both only grow in a healthy database (a term is stored before it is used, committed
 * entries are never truncated, compaction keeps the last index), so a database found behind
 * this record was rolled back, or replaced by an older copy of itself. Starting on it would let
 * the node vote again in a term it already voted in, or forget entries it acknowledged.
 *
 * <p>The record is written every few seconds and on stop, so it may lag the database (a
 * rollback to a point after the last record goes unseen), never lead it.
 */
record NodeProgress(long term, long committedIndex) {
    static final String FILE = "node.progress";

    static Optional<NodeProgress> read(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return Optional.of(new NodeProgress(Long.parseLong(p.getProperty("term")), Long.parseLong(p.getProperty("committed-index"))));
    }

    /** Replaces the record atomically, flushed to disk first, so a crash leaves the old or the new one. */
    void write(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        Path tmp = dataDir.resolve(FILE + ".tmp");
        String text = "# The furthest this node's database is known to have come; a database behind it was rolled back.\n"
                + "term=" + term + "\ncommitted-index=" + committedIndex + "\n";
        try {
            Files.writeString(tmp, text);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * @param storedTerm      the term the database holds
     * @param storedLastIndex the last log index the database holds
     * @throws IllegalStateException saying what does not match, if the database is behind this record
     */
    void requireReachedBy(long storedTerm, long storedLastIndex, String storage) {
        if (storedTerm < term || storedLastIndex < committedIndex) {
            throw new IllegalStateException(storage + " is behind what this node recorded in " + FILE + ": it holds term "
                    + storedTerm + " and log entries up to " + storedLastIndex + ", but the node had reached term " + term
                    + " with committed entries up to " + committedIndex + ". The database was rolled back or replaced by an "
                    + "older copy; starting on it could vote twice in a term or lose acknowledged entries. Restore the newest "
                    + "copy of the node's database, or remove the member from the cluster and add it back with an empty data "
                    + "directory");
        }
    }
}
