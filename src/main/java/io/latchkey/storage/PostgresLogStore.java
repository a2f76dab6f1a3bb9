package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.RaftPanicException;
import io.latchkey.raft.CompactedException;
import io.latchkey.raft.SnapOutOfDateException;
import io.latchkey.raft.Storage;
import io.latchkey.raft.StorageException;
import io.latchkey.raft.UnavailableException;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The Raft log, hard state and snapshot of one node in PostgreSQL, with write-ahead-log
 * semantics: when a write method returns, what it was given is durable (committed with
 * {@code synchronous_commit=on} on a server with {@code fsync=on}); only then may the caller
 * send the Ready's messages or acknowledge anything. The one exception is a write that only
 * moves the commit index, which is not waited for (see {@link #persistAll}).
 *
 * <h2>Reads</h2>
 * {@link Storage} reads are answered from memory: the hard state, the log's bounds and a
 * window of recent entries ({@link LogWindow}). Entries older than the window are read from
 * PostgreSQL, which is the truth: memory changes only after a commit succeeded.
 *
 * <h2>Snapshots</h2>
 * Snapshot data of any size is stored in chunks and read back as a stream
 * ({@link #openSnapshotData(long)}), so neither side ever holds it whole. {@link #snapshot()}
 * gives the core a Snapshot with the metadata, and the data inline only when it is at most
 * {@link #SNAPSHOT_INLINE_SIZE_BYTES_MAX}; a larger snapshot comes with empty data and
 * {@link #snapshotDataSizeBytes()} tells its real size: the transport then sends MsgSnap's
 * data by streaming {@link #openSnapshotData(long)} (the core never looks at the bytes). A snapshot
 * arriving from the leader is streamed into the database first ({@link #stageSnapshot}) and
 * reaches the core as a small reference that {@link #persist} installs.
 *
 * <h2>Failures</h2>
 * A write that loses its connection is retried on a new one for up to
 * {@link StorageConfig#writeRetryTimeMax()}: every write is idempotent, so a retry after a
 * commit whose outcome was lost is safe. Any other failure, or running out of time, stops the
 * store: later writes throw {@link StorageFailedException}, and the node must restart to
 * rebuild from PostgreSQL. A transaction that did not commit leaves nothing behind, so
 * nothing half-written is ever read back.
 *
 * <h2>Threads</h2>
 * Reads may run on one thread (the Raft loop) while writes run on another (a storage
 * thread with async storage writes); writes are serialised among themselves.
 */
public final class PostgresLogStore implements Storage, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PostgresLogStore.class.getName());

    /** Snapshots up to this size are handed to the core with their data; larger ones are streamed. */
    public static final long SNAPSHOT_INLINE_SIZE_BYTES_MAX = 1L << 20;
    static final String WRITER = "writer";
    static final String READER = "reader";
    static final String STAGER = "snapshot-stager";
    private static final int REACHABLE_QUERY_TIMEOUT_SECONDS = 2;
    /** A live server's statement_timeout answers before the driver gives up on the socket. */
    private static final long SOCKET_TIMEOUT_MARGIN_SECONDS = 5;
    private static final long RETRY_BACKOFF_NANOS_MIN = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long RETRY_BACKOFF_NANOS_MAX = TimeUnit.MILLISECONDS.toNanos(500);

    private final StorageConfig config;
    private final String jdbcUrl;
    private final EmbeddedPostgresServer embeddedServer;
    private final Object writeLock = new Object();
    private final Object readLock = new Object();

    // Guarded by writeLock.
    private Connection writer;
    // Guarded by readLock.
    private Connection reader;

    // The durable state as of the last successful commit. Guarded by this.
    private HardState hardState;
    private long originIndex;
    private long originTerm;
    private long lastIndex;
    private LogTables.StoredSnapshot storedSnapshot;
    private Snapshot coreSnapshot;
    private final LogWindow window;

    private volatile StorageFailedException failure;
    /** Ids of {@link StagedSnapshot}s; stagings of an earlier run are dropped at open. */
    private final AtomicLong stagingIds = new AtomicLong();

    private PostgresLogStore(StorageConfig config, String jdbcUrl, EmbeddedPostgresServer embeddedServer,
                             NodeIdentity identity, boolean restart) {
        this.config = config;
        this.jdbcUrl = jdbcUrl;
        this.embeddedServer = embeddedServer;
        this.window = new LogWindow(config.windowEntriesMax(), config.windowSizeBytesMax(), 1);
        try {
            writer = connect(WRITER);
            requireDurableServer(writer);
            SchemaMigrator.migrate(writer, config.schema());
            NodeIdentity stored = restart
                    ? LogTables.storedIdentity(writer).orElseThrow(() -> IdentityMismatchException.missing(config.schema(), identity))
                    : LogTables.claimIdentity(writer, identity);
            if (!stored.equals(identity)) {
                throw new IdentityMismatchException(config.schema(), stored, identity);
            }
            LogTables.dropStagedSnapshots(writer);
            reader = connect(READER);
            reader.setAutoCommit(false);
            reader.setReadOnly(true);
            reload();
        } catch (SQLException e) {
            closeQuietly(writer);
            closeQuietly(reader);
            throw new StorageUnavailableException("PostgreSQL at " + redacted(jdbcUrl) + " (schema "
                    + config.schema() + ") is not usable: " + e.getMessage()
                    + ". The node stays not ready until the database is reachable and it is restarted", e);
        } catch (RuntimeException e) {
            closeQuietly(writer);
            closeQuietly(reader);
            throw e;
        }
    }

    /**
     * Opens the node's storage: the configured PostgreSQL, or an embedded one under the data
     * directory when no JDBC URL is configured. Creates or migrates the schema, stores the
     * node's identity on first use, and rebuilds the state from what is committed.
     *
     * @throws StorageUnavailableException if the database cannot be reached or used
     * @throws IdentityMismatchException   if the storage belongs to another node
     */
    public static PostgresLogStore open(StorageConfig config, NodeIdentity identity) {
        return open(config, identity, false);
    }

    /**
     * Like {@link #open(StorageConfig, NodeIdentity)}, for a node that knows whether it has
     * started before: on a restart the storage must already hold the node's identity, since
     * storage found empty then was emptied or replaced behind the node's back.
     *
     * @throws IdentityMismatchException if the storage belongs to another node, or holds no
     *                                   node although {@code restart} says it should
     */
    public static PostgresLogStore open(StorageConfig config, NodeIdentity identity, boolean restart) {
        if (!config.embeddedDatabase()) {
            return new PostgresLogStore(config, config.jdbcUrl(), null, identity, restart);
        }
        EmbeddedPostgresServer server = startEmbedded(config);
        try {
            return new PostgresLogStore(config, server.jdbcUrl(), server, identity, restart);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static EmbeddedPostgresServer startEmbedded(StorageConfig config) {
        try {
            return EmbeddedPostgresServer.start(config.dataDir());
        } catch (NoClassDefFoundError e) {
            throw new StorageUnavailableException("this build carries no embedded PostgreSQL (built with -Pcontainer): "
                    + "set latchkey.storage.jdbc-url", e);
        }
    }

    // ---- Storage (read side, for the Raft core) ----

    @Override
    public synchronized InitialState initialState() {
        return new InitialState(hardState, coreSnapshot.getMetadata().getConfState());
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        SizeBudget budget = new SizeBudget(maxSize);
        long windowFirst;
        synchronized (this) {
            if (lo <= originIndex) {
                throw CompactedException.INSTANCE;
            }
            if (hi > lastIndex + 1) {
                throw new RaftPanicException(String.format(
                        "entries' hi(%d) is out of bound lastindex(%d)", hi, lastIndex));
            }
            if (lastIndex == originIndex) {
                throw UnavailableException.INSTANCE;
            }
            if (lo >= window.firstIndex()) {
                return window.copy(lo, hi, budget);
            }
            windowFirst = window.firstIndex();
        }
        long databaseHi = Math.min(hi, windowFirst);
        List<Entry> result = readFromDatabase(c -> LogTables.readEntries(c, lo, databaseHi, budget));
        if (result.size() < databaseHi - lo && !budget.exhausted()) {
            throw missing(lo + result.size());
        }
        if (hi > windowFirst && !budget.exhausted()) {
            synchronized (this) {
                long next = lo + result.size();
                // If the window moved on meanwhile, a shorter answer is still a correct one.
                if (window.contains(next)) {
                    result.addAll(window.copy(next, hi, budget));
                }
            }
        }
        return result;
    }

    @Override
    public long term(long i) {
        synchronized (this) {
            if (i < originIndex) {
                throw CompactedException.INSTANCE;
            }
            if (i == originIndex) {
                return originTerm;
            }
            if (i > lastIndex) {
                throw UnavailableException.INSTANCE;
            }
            if (window.contains(i)) {
                return window.get(i).getTerm();
            }
        }
        long term = readFromDatabase(c -> LogTables.readTerm(c, i));
        if (term < 0) {
            throw missing(i);
        }
        return term;
    }

    @Override
    public synchronized long lastIndex() {
        return lastIndex;
    }

    @Override
    public synchronized long firstIndex() {
        return originIndex + 1;
    }

    /** Metadata always; data inline only up to {@link #SNAPSHOT_INLINE_SIZE_BYTES_MAX} (see the class comment). */
    @Override
    public synchronized Snapshot snapshot() {
        return coreSnapshot;
    }

    /** The real size of the latest snapshot's data, inline in {@link #snapshot()} or not. */
    public synchronized long snapshotDataSizeBytes() {
        return storedSnapshot.dataSizeBytes();
    }

    /** The last hard state written. */
    public synchronized HardState hardState() {
        return hardState;
    }

    /**
     * The data of the stored snapshot at {@code index}, read chunk by chunk as it is consumed.
     * Asked by index, never as "the latest": a sender holds the metadata of the snapshot Raft
     * chose, and a newer one may have been saved since. If a newer snapshot replaces it while it
     * is read, reading fails with an IOException: the sender then starts over with the new one.
     *
     * @throws IllegalStateException if the stored snapshot is not at {@code index}
     */
    public InputStream openSnapshotData(long index) {
        LogTables.StoredSnapshot snapshot;
        synchronized (this) {
            snapshot = storedSnapshot;
        }
        if (snapshot.index() != index) {
            throw new IllegalStateException("the stored snapshot is at index " + snapshot.index() + ", not " + index);
        }
        return openSnapshotData(snapshot);
    }

    private InputStream openSnapshotData(LogTables.StoredSnapshot snapshot) {
        return new SnapshotDataStream(snapshot.index(), snapshot.chunkCount(),
                seq -> readFromDatabase(c -> LogTables.readSnapshotChunk(c, snapshot.index(), seq)));
    }

    /**
     * Stores snapshot data arriving from a leader, beside the log's write path: in a transaction
     * on a connection of its own, so that the loop's writes go on meanwhile, one chunk in memory
     * at a time. When it returns the data is durable; the returned reference, as the data of the
     * MsgSnap's snapshot, makes {@link #persist} install it without copying it again, and
     * {@link #openSnapshotData(long)} read it then. If {@code data} fails (a cut connection, a
     * digest that does not match), nothing is kept.
     */
    public ByteString stageSnapshot(InputStream data) throws IOException {
        return stageSnapshot(data::transferTo);
    }

    /** Produces snapshot data by writing it out, possibly in several calls of {@code write}. */
    @FunctionalInterface
    public interface DataWriter extends LogTables.DataWriter {
    }

    /** Like {@link #stageSnapshot(InputStream)}, for data produced by writing it out. */
    public ByteString stageSnapshot(DataWriter data) throws IOException {
        requireHealthy();
        long id = stagingIds.incrementAndGet();
        try (Connection connection = connect(STAGER)) {
            return inTransaction(connection, c -> LogTables.stageSnapshot(c, id, data)).reference();
        } catch (SQLException e) {
            throw new IOException("storing the snapshot failed: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Whether {@code data} refers to a snapshot {@link #stageSnapshot} stored, rather than being the data itself. */
    public static boolean isStagedReference(ByteString data) {
        return StagedSnapshot.referredToBy(data).isPresent();
    }

    // ---- Writes (durable when they return) ----

    /**
     * Makes one Ready durable in one transaction: {@code snapshot} (if any) replaces the log,
     * {@code entries} are written at their indexes discarding every entry from the first of
     * them on, and {@code hardState} (if any) is saved. A commit-index-only write is not
     * waited for, see {@link #persistAll}.
     *
     * @throws SnapOutOfDateException if the snapshot is not newer than the stored one
     * @throws StorageFailedException if it could not be made durable; nothing may be acknowledged
     */
    public void persist(HardState hardState, List<Entry> entries, Snapshot snapshot) {
        persistAll(List.of(new WriteBatch(hardState, entries == null ? List.of() : entries, snapshot)));
    }

    /**
     * Group commit: makes several Readies durable in one transaction with one WAL flush, with
     * the same effect as persisting them one by one in order. For a loop that ran ahead of
     * its storage (async storage writes).
     *
     * <p>A write that only moves the hard state's commit index (no entries, no snapshot, same
     * term and vote as stored) is committed without waiting for its WAL flush: a crash may lose
     * that move alone, never anything written before or after it that was flushed.
     */
    public void persistAll(List<WriteBatch> batches) {
        synchronized (writeLock) {
            requireHealthy();
            WritePlan plan;
            boolean mustSync;
            synchronized (this) {
                plan = WritePlan.merge(batches, originIndex, originTerm, lastIndex, storedSnapshot.index());
                mustSync = mustSync(plan, hardState);
            }
            if (plan.isEmpty()) {
                return;
            }
            LogTables.StoredSnapshot snapshot = writeDurably("persist", c -> write(c, plan, mustSync));
            ByteString inline = plan.snapshot == null ? null : inlineData(plan.snapshot, snapshot);
            synchronized (this) {
                if (plan.snapshot != null) {
                    installSnapshot(snapshot, inline);
                    window.reset(plan.originIndex + 1);
                }
                originIndex = plan.originIndex;
                originTerm = plan.originTerm;
                lastIndex = plan.lastIndex;
                window.write(plan.entries);
                if (plan.hardState != null) {
                    hardState = plan.hardState;
                }
            }
        }
    }

    /**
     * Installs a snapshot received from the leader, streamed: the log is replaced by the
     * snapshot's origin (MemoryStorage.ApplySnapshot). The stream cannot be replayed, so a
     * lost connection fails this call with {@link SnapshotWriteInterruptedException} (nothing
     * stored) instead of retrying.
     */
    public void applySnapshot(SnapshotMetadata metadata, InputStream data) {
        saveStreamedSnapshot(metadata, data);
    }

    /**
     * Records a snapshot the state machine took at {@code index} (MemoryStorage.CreateSnapshot);
     * the log is untouched, so {@link #compact} usually follows. The data is staged first, on a
     * connection of its own and without holding up the log's writes, however long producing it
     * takes; only installing the staged rows waits for them. Safe to call from any thread.
     *
     * @throws SnapOutOfDateException if {@code index} is not newer than the stored snapshot, also
     *                                when a newer one was stored while the data was produced
     * @throws UncheckedIOException   if producing or storing the data failed (nothing is stored)
     */
    public void createSnapshot(long index, ConfState confState, DataWriter data) {
        requireCreatable(index);
        StagedSnapshot staged;
        try {
            staged = StagedSnapshot.referredToBy(stageSnapshot(data)).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (writeLock) {
            requireHealthy();
            try {
                requireCreatable(index);
            } catch (SnapOutOfDateException e) {
                writeDurably("drop a stale snapshot", c -> {
                    LogTables.dropStagedSnapshot(c, staged);
                    return null;
                });
                throw e;
            }
            SnapshotMetadata metadata = SnapshotMetadata.newBuilder().setIndex(index).setTerm(term(index))
                    .setConfState(confState == null ? coreSnapshot.getMetadata().getConfState() : confState).build();
            LogTables.StoredSnapshot stored = writeDurably("create the snapshot",
                    c -> inTransaction(c, tx -> LogTables.installStagedSnapshot(tx, metadata, staged, false)));
            ByteString inline = stored.dataSizeBytes() <= SNAPSHOT_INLINE_SIZE_BYTES_MAX
                    ? readFromDatabase(c -> LogTables.readSnapshotData(c, stored)) : null;
            synchronized (this) {
                installSnapshot(stored, inline);
            }
        }
    }

    private synchronized void requireCreatable(long index) {
        if (index <= storedSnapshot.index()) {
            throw SnapOutOfDateException.INSTANCE;
        }
        if (index > lastIndex) {
            throw new RaftPanicException(String.format("snapshot %d is out of bound lastindex(%d)", index, lastIndex));
        }
    }

    /**
     * Discards the entries at or below {@code compactIndex}, which a snapshot covers; its term
     * is kept for log matching (MemoryStorage.Compact).
     *
     * @throws CompactedException if {@code compactIndex} is at or below the current origin
     */
    public void compact(long compactIndex) {
        synchronized (writeLock) {
            requireHealthy();
            long term;
            synchronized (this) {
                if (compactIndex <= originIndex) {
                    throw CompactedException.INSTANCE;
                }
                if (compactIndex > lastIndex) {
                    throw new RaftPanicException(String.format(
                            "compact %d is out of bound lastindex(%d)", compactIndex, lastIndex));
                }
            }
            term = term(compactIndex);
            writeDurably("compact", c -> {
                LogTables.compact(c, compactIndex, term);
                return null;
            });
            synchronized (this) {
                originIndex = compactIndex;
                originTerm = term;
                window.dropThrough(compactIndex);
            }
        }
    }

    /** Closes the connections and, if this store started it, the embedded PostgreSQL. */
    @Override
    public void close() {
        synchronized (writeLock) {
            closeQuietly(writer);
            writer = null;
        }
        synchronized (readLock) {
            closeQuietly(reader);
            reader = null;
        }
        if (embeddedServer != null) {
            embeddedServer.close();
        }
    }

    /** The embedded server this store started, or null when it uses a configured database. */
    public EmbeddedPostgresServer embeddedServer() {
        return embeddedServer;
    }

    /** For fault tests: the server process serving the log writer's connection. */
    int writerBackendPid() throws SQLException {
        synchronized (writeLock) {
            try (Statement statement = writer().createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    // ---- internals ----

    /**
     * etcd's {@code MustSync}, stricter about snapshots: a write must be flushed before it
     * returns unless all it does is move the commit index. Raft tolerates losing such a move in
     * a crash (the commit index is learned again from the leader, and a restarted node only
     * applies up to what is stored), and every message or answer a Ready carries depends on
     * entries, term and vote, never on the stored commit index.
     */
    private static boolean mustSync(WritePlan plan, HardState stored) {
        if (plan.snapshot != null || !plan.entries.isEmpty()) {
            return true;
        }
        HardState previous = stored == null ? HardState.getDefaultInstance() : stored;
        return plan.hardState != null
                && (plan.hardState.getTerm() != previous.getTerm() || plan.hardState.getVote() != previous.getVote());
    }

    private LogTables.StoredSnapshot write(Connection connection, WritePlan plan, boolean mustSync) throws SQLException {
        if (!mustSync) {
            // Not waiting for the WAL flush: PostgreSQL still orders the commit in its WAL, so
            // the next flushed write (or the WAL writer, within wal_writer_delay) makes it durable.
            return inTransaction(connection, c -> {
                try (Statement statement = c.createStatement()) {
                    statement.execute("SET LOCAL synchronous_commit TO off");
                }
                LogTables.writeEntriesAndHardState(c, plan);
                return null;
            });
        }
        if (plan.snapshot == null && !plan.overwrites) {
            // The common case, an append: autocommit, the single statement is the transaction.
            LogTables.writeEntriesAndHardState(connection, plan);
            return null;
        }
        return inTransaction(connection, c -> {
            LogTables.StoredSnapshot stored = null;
            if (plan.snapshot != null) {
                LogTables.replaceLogWithOrigin(c, plan.snapshot.getMetadata().getIndex(),
                        plan.snapshot.getMetadata().getTerm());
                SnapshotMetadata metadata = plan.snapshot.getMetadata();
                Optional<StagedSnapshot> staged = StagedSnapshot.referredToBy(plan.snapshot.getData());
                stored = staged.isPresent()
                        ? LogTables.installStagedSnapshot(c, metadata, staged.get(), true)
                        : LogTables.replaceSnapshot(c, metadata, plan.snapshot.getData().newInput());
            }
            LogTables.writeEntriesAndHardState(c, plan);
            return stored;
        });
    }

    /** What the core's snapshot carries inline for a snapshot just persisted (see the class comment). */
    private ByteString inlineData(Snapshot persisted, LogTables.StoredSnapshot stored) {
        if (stored.dataSizeBytes() > SNAPSHOT_INLINE_SIZE_BYTES_MAX) {
            return null;
        }
        return isStagedReference(persisted.getData())
                ? readFromDatabase(c -> LogTables.readSnapshotData(c, stored)) : persisted.getData();
    }

    private void saveStreamedSnapshot(SnapshotMetadata metadata, InputStream data) {
        synchronized (writeLock) {
            requireHealthy();
            synchronized (this) {
                long current = storedSnapshot.index();
                if (current != 0 && current >= metadata.getIndex()) {
                    throw SnapOutOfDateException.INSTANCE;
                }
            }
            SqlWork<LogTables.StoredSnapshot> work = c -> inTransaction(c, tx -> {
                LogTables.replaceLogWithOrigin(tx, metadata.getIndex(), metadata.getTerm());
                return LogTables.replaceSnapshot(tx, metadata, data);
            });
            LogTables.StoredSnapshot stored;
            try {
                stored = work.run(writer());
            } catch (SQLException e) {
                discardWriter();
                if (!isConnectionLoss(e)) {
                    throw fail("saving the snapshot at index " + metadata.getIndex() + " failed", e);
                }
                // The commit may or may not have happened: PostgreSQL knows.
                if (!committedSnapshot(metadata.getIndex())) {
                    throw new SnapshotWriteInterruptedException(metadata.getIndex(), e);
                }
                stored = writeDurably("read back the snapshot", c -> {
                    LogTables.Recovered recovered = LogTables.load(c, 0);
                    return recovered.snapshot();
                });
            }
            LogTables.StoredSnapshot saved = stored;
            ByteString inline = saved.dataSizeBytes() <= SNAPSHOT_INLINE_SIZE_BYTES_MAX
                    ? readFromDatabase(c -> LogTables.readSnapshotData(c, saved)) : null;
            synchronized (this) {
                installSnapshot(saved, inline);
                originIndex = metadata.getIndex();
                originTerm = metadata.getTerm();
                lastIndex = originIndex;
                window.reset(originIndex + 1);
            }
        }
    }

    private boolean committedSnapshot(long index) {
        LogTables.StoredSnapshot stored = writeDurably("check the snapshot",
                c -> LogTables.load(c, 0).snapshot());
        return stored.index() == index;
    }

    /** Rebuilds the in-memory state from PostgreSQL. */
    private void reload() throws SQLException {
        LogTables.Recovered recovered = LogTables.load(writer, config.windowEntriesMax());
        ByteString inline = recovered.snapshot().dataSizeBytes() <= SNAPSHOT_INLINE_SIZE_BYTES_MAX
                ? LogTables.readSnapshotData(writer, recovered.snapshot()) : null;
        synchronized (this) {
            hardState = recovered.hardState();
            originIndex = recovered.originIndex();
            originTerm = recovered.originTerm();
            lastIndex = recovered.lastIndex();
            installSnapshot(recovered.snapshot(), inline);
            window.reset(recovered.lastIndex() + 1 - recovered.tail().size());
            window.write(recovered.tail());
        }
    }

    private void installSnapshot(LogTables.StoredSnapshot snapshot, ByteString inlineData) {
        storedSnapshot = snapshot;
        Snapshot.Builder builder = Snapshot.newBuilder().setMetadata(snapshot.metadata());
        if (inlineData != null) {
            builder.setData(inlineData);
        }
        coreSnapshot = builder.build();
    }

    private StorageException missing(long index) {
        synchronized (this) {
            // A compaction that ran while the database was read explains a missing entry.
            return index <= originIndex ? CompactedException.INSTANCE : UnavailableException.INSTANCE;
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    private static <T> T inTransaction(Connection connection, SqlWork<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            LogTables.rollbackQuietly(connection);
            throw e;
        } finally {
            if (!connection.isClosed()) {
                connection.setAutoCommit(true);
            }
        }
    }

    /**
     * Runs an idempotent write, retrying on a new connection while the connection is what
     * failed and the retry time lasts. Must hold writeLock.
     */
    private <T> T writeDurably(String what, SqlWork<T> work) {
        long deadline = System.nanoTime() + config.writeRetryTimeMax().toNanos();
        long backoffNanos = RETRY_BACKOFF_NANOS_MIN;
        while (true) {
            try {
                return work.run(writer());
            } catch (SQLException e) {
                discardWriter();
                if (!isConnectionLoss(e)) {
                    throw fail(what + " failed", e);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw fail(what + " lost its database connection and could not be retried within "
                            + config.writeRetryTimeMax(), e);
                }
                LOG.log(System.Logger.Level.WARNING, "{0}: PostgreSQL failed (SQLState {1}: {2}); retrying",
                        what, e.getSQLState(), e.getMessage());
                // Pacing reconnects to a database that is restarting, not waiting for a condition.
                LockSupport.parkNanos(Math.min(backoffNanos, Math.max(0, deadline - System.nanoTime())));
                backoffNanos = Math.min(backoffNanos * 2, RETRY_BACKOFF_NANOS_MAX);
            } catch (UncheckedIOException e) {
                // The caller's data stream failed: the transaction rolled back, the store is fine.
                throw e;
            }
        }
    }

    /** Reads from PostgreSQL, once more on a new connection if the connection was lost. */
    private <T> T readFromDatabase(SqlWork<T> work) {
        synchronized (readLock) {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (reader == null) {
                        reader = connect(READER);
                        reader.setAutoCommit(false);
                        reader.setReadOnly(true);
                    }
                    T result = work.run(reader);
                    reader.commit();
                    return result;
                } catch (SQLException e) {
                    if (reader != null) {
                        LogTables.rollbackQuietly(reader);
                    }
                    if (attempt == 0 && isConnectionLoss(e)) {
                        closeQuietly(reader);
                        reader = null;
                        continue;
                    }
                    throw new StorageException("reading the Raft log from PostgreSQL failed: " + e.getMessage(), e);
                } catch (StorageCorruptionException e) {
                    LogTables.rollbackQuietly(reader);
                    // Damaged rows do not heal: stop acknowledging writes and look unreachable to
                    // readiness, so that the node neither serves nor takes part on a log it cannot trust.
                    failure = new StorageFailedException("a read of the stored log found damage", e);
                    LOG.log(System.Logger.Level.ERROR, e.getMessage());
                    throw e;
                }
            }
        }
    }

    /**
     * Whether PostgreSQL answers a trivial query now, on the reader's connection (a new one if
     * it was lost); false once the store has stopped acknowledging writes. For readiness: a node
     * whose database is down must not look ready until its next write fails.
     */
    public boolean reachable() {
        if (failure != null) {
            return false;
        }
        try {
            return readFromDatabase(connection -> {
                // A hung server does not answer the cancel that a query timeout sends either: bound
                // the wait on the socket itself, so that a health check answers in time.
                int previous = connection.getNetworkTimeout();
                connection.setNetworkTimeout(Runnable::run, REACHABLE_QUERY_TIMEOUT_SECONDS * 1000);
                try (Statement statement = connection.createStatement()) {
                    return statement.execute("SELECT 1");
                } finally {
                    connection.setNetworkTimeout(Runnable::run, previous);
                }
            });
        } catch (StorageException e) {
            return false;
        }
    }

    private Connection writer() throws SQLException {
        if (writer == null) {
            writer = connect(WRITER);
        }
        return writer;
    }

    private void discardWriter() {
        closeQuietly(writer);
        writer = null;
    }

    private void requireHealthy() {
        StorageFailedException failed = failure;
        if (failed != null) {
            throw failed;
        }
    }

    private StorageFailedException fail(String message, SQLException cause) {
        StorageFailedException failed = new StorageFailedException(message + ": " + cause.getMessage(), cause);
        failure = failed;
        LOG.log(System.Logger.Level.ERROR, failed.getMessage(), cause);
        return failed;
    }

    /**
     * Failures after which the work may succeed on a new connection: connection classes (08xxx,
     * also a socket or login timeout on a hung server), operator intervention (57P01..57P03: the
     * backend was terminated or the server is shutting down or starting), a statement cancelled
     * by {@code statement_timeout} (57014), and insufficient resources (53xxx: disk full, out of
     * memory, too many connections), which an operator can fix without any data being wrong.
     * Anything else is a bug or damage and retrying would not help.
     */
    private static boolean isConnectionLoss(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.startsWith("57P") || state.equals("57014") || state.startsWith("53")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The application name tells operators (and fault tests) which node and role a session serves. */
    static String applicationName(String role, String schema) {
        return "latchkey-" + role + " " + schema;
    }

    private Connection connect(String role) throws SQLException {
        Properties properties = new Properties();
        properties.putAll(config.connectionProperties());
        properties.setProperty("currentSchema", config.schema());
        properties.setProperty("ApplicationName", applicationName(role, config.schema()));
        properties.putIfAbsent("tcpKeepAlive", "true");
        // A server that stops answering (SIGSTOP, a dead network path) must fail the call, not
        // block the Raft loop forever: the driver bounds connecting, logging in and each wait
        // for an answer; the server cancels a statement first (and says why) when it is alive.
        long timeoutSeconds = config.ioTimeout().toSeconds();
        properties.putIfAbsent("connectTimeout", Long.toString(timeoutSeconds));
        properties.putIfAbsent("loginTimeout", Long.toString(timeoutSeconds));
        properties.putIfAbsent("socketTimeout", Long.toString(timeoutSeconds + SOCKET_TIMEOUT_MARGIN_SECONDS));
        Connection connection = DriverManager.getConnection(jdbcUrl, properties);
        try (Statement statement = connection.createStatement()) {
            // The server's default may be relaxed for other users; the Raft log is never.
            statement.execute("SET synchronous_commit TO on");
            statement.execute("SET statement_timeout TO " + config.ioTimeout().toMillis());
        } catch (SQLException e) {
            closeQuietly(connection);
            throw e;
        }
        return connection;
    }

    private static void requireDurableServer(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SHOW fsync")) {
            rs.next();
            if (!"on".equals(rs.getString(1))) {
                throw new SQLException("the server runs with fsync=" + rs.getString(1)
                        + ", which loses committed Raft state on a crash: set fsync=on");
            }
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Closing a broken connection can fail; there is nothing left to release.
        }
    }

    /** The URL without its query, which may carry a password. */
    private static String redacted(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }
}
