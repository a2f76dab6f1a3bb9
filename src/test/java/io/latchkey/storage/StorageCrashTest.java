package io.latchkey.storage;

import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a writing node ({@link CrashChild}, its own JVM with its own embedded PostgreSQL) with
 * SIGKILL at random points, restarts the storage, and checks that it is exactly the state
 * after the last acknowledged write, or after the one announced but not acknowledged: every
 * acknowledged Ready is there, nothing of a truncated tail survives, and the hard state's
 * commit is at most the last index. The one allowed loss: acknowledged writes that only moved
 * the commit index after the last flushed write (see {@link PostgresLogStore#persistAll}).
 *
 * <p>Every other kill also SIGKILLs the node's PostgreSQL (a machine-level crash: WAL replay
 * at restart); the others leave it orphaned (the restart must stop it). Seeds: the
 * system property {@code latchkey.crash.seed} replays one; otherwise each run draws new ones
 * and prints them. Bounded by {@link #TIME_BUDGET}.
 */
@Tag("storage")
class StorageCrashTest {
    private static final int SEEDS = Integer.getInteger("latchkey.crash.seeds", 2);
    private static final int KILLS_PER_SEED = Integer.getInteger("latchkey.crash.kills", 3);
    /** No new kill cycle starts after this; a running one finishes. */
    private static final Duration TIME_BUDGET = Duration.ofSeconds(Long.getLong("latchkey.crash.budget-seconds", 50));
    private static final Duration CHILD_PROGRESS_WAIT_MAX = Duration.ofSeconds(60);
    private static final int ACKS_BEFORE_KILL_MIN = 5;
    private static final int ACKS_BEFORE_KILL_MAX = 80;

    @Test
    void killedNode_restartsWithEveryAcknowledgedReadyAndNothingMore() throws Exception {
        long deadline = System.nanoTime() + TIME_BUDGET.toNanos();
        String fixedSeed = System.getProperty("latchkey.crash.seed");
        Random seeds = new Random();
        int cycles = 0;
        for (int s = 0; s < SEEDS && System.nanoTime() < deadline; s++) {
            long seed = fixedSeed != null ? Long.parseLong(fixedSeed) : seeds.nextLong();
            System.out.println("StorageCrashTest seed " + seed + " (replay with -Dlatchkey.crash.seed=" + seed + ")");
            cycles += runSeed(seed, deadline);
            if (fixedSeed != null) {
                break;
            }
        }
        assertThat(cycles).isPositive();
    }

    private int runSeed(long seed, long deadline) throws Exception {
        Path dataDir = Path.of("target", "crash-test", Long.toHexString(seed)).toAbsolutePath();
        deleteRecursively(dataDir);
        Files.createDirectories(dataDir);
        Random random = new Random(seed);
        LogModel model = LogModel.empty();
        int cycles = 0;
        try {
            for (int kill = 0; kill < KILLS_PER_SEED && (kill == 0 || System.nanoTime() < deadline); kill++) {
                boolean killPostgresToo = kill % 2 == 0;
                int acksBeforeKill = ACKS_BEFORE_KILL_MIN + random.nextInt(ACKS_BEFORE_KILL_MAX - ACKS_BEFORE_KILL_MIN);
                ChildRun run = runChildUntilKilled(dataDir, random.nextLong(), model, acksBeforeKill, killPostgresToo);
                model = verifyRestart(dataDir, run);
                cycles++;
            }
        } finally {
            // Whatever happened, leave no PostgreSQL running on the crash directory.
            EmbeddedPostgresServer.recoverFromKilledRun(dataDir.resolve(EmbeddedPostgresServer.DATA_SUBDIRECTORY));
        }
        return cycles;
    }

    /**
     * What the parent learned from a child before killing it. {@code flushed} holds the state
     * after the last acknowledged write that had to be flushed, then the state after each
     * acknowledged commit-index-only write since (which the store does not wait to flush, so a
     * crash may lose a suffix of them).
     */
    record ChildRun(List<LogModel> flushed, LogModel announced) {
    }

    private ChildRun runChildUntilKilled(Path dataDir, long childSeed, LogModel start, int acksBeforeKill,
                                         boolean killPostgresToo) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path transcript = dataDir.resolve("transcript-" + childSeed + ".log");
        ProcessBuilder builder = new ProcessBuilder(javaBin.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
                dataDir.toString(), Long.toString(childSeed), transcript.toString());
        builder.redirectError(dataDir.resolve("child-stderr.log").toFile());
        Process child = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread pump = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The child was killed mid-line: what was read so far is what counts.
            }
            lines.add("EOF");
        });
        int acks = 0;
        try {
            long deadline = System.nanoTime() + CHILD_PROGRESS_WAIT_MAX.toNanos();
            while (acks < acksBeforeKill) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals("EOF")) {
                    throw new AssertionError("child made no progress (" + acks + " acks): "
                            + Files.readString(dataDir.resolve("child-stderr.log")));
                }
                if (line.startsWith("ACK ")) {
                    acks++;
                }
            }
        } finally {
            long postmasterPid = readPostmasterPid(dataDir);
            child.destroyForcibly();
            child.onExit().get(30, TimeUnit.SECONDS);
            if (killPostgresToo && postmasterPid > 0) {
                ProcessHandle.of(postmasterPid).ifPresent(StorageCrashTest::killTree);
            }
        }
        // The transcript, not the pipe, is complete up to the kill: every line is one finished write(2).
        List<LogModel> flushed = new ArrayList<>(List.of(start));
        LogModel acknowledged = start;
        LogModel announced = null;
        boolean announcedCommitOnly = false;
        for (String line : Files.readAllLines(transcript)) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "START" -> assertThat(Long.parseLong(f[2])).as("child restarted at the verified last index")
                        .isEqualTo(start.lastIndex());
                case "READY" -> {
                    announced = acknowledged.write(Long.parseLong(f[2]), Integer.parseInt(f[3]),
                            Long.parseLong(f[4]), Long.parseLong(f[5]));
                    announcedCommitOnly = Integer.parseInt(f[3]) == 0
                            && announced.hardState().getTerm() == acknowledged.hardState().getTerm()
                            && announced.hardState().getVote() == acknowledged.hardState().getVote();
                }
                case "COMPACT" -> {
                    announced = acknowledged.compact(Long.parseLong(f[2]));
                    announcedCommitOnly = false;
                }
                case "ACK" -> {
                    if (!announcedCommitOnly) {
                        flushed.clear();
                    }
                    flushed.add(announced);
                    acknowledged = announced;
                    announced = null;
                }
                default -> throw new AssertionError("unexpected transcript line: " + line);
            }
        }
        return new ChildRun(flushed, announced);
    }

    /** Opens the storage as a restarted node would and compares it with the two allowed states. */
    private LogModel verifyRestart(Path dataDir, ChildRun run) {
        try (PostgresLogStore store = PostgresLogStore.open(StorageConfig.embedded(dataDir, CrashChild.SCHEMA),
                CrashChild.IDENTITY)) {
            LogModel recovered = LogModel.read(store);
            assertThat(recovered.hardState().getCommit()).as("commit <= last index").isLessThanOrEqualTo(recovered.lastIndex());
            if (run.flushed().contains(recovered)) {
                return recovered;
            }
            assertThat(run.announced()).as("recovered state %s is none of the acknowledged %s since the last "
                    + "flushed write, and nothing else was in flight", recovered, run.flushed()).isNotNull();
            assertThat(recovered).as("recovered state is an acknowledged one since the last flushed write, "
                    + "or the in-flight one").isEqualTo(run.announced());
            return recovered;
        }
    }

    private static long readPostmasterPid(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(
                    dataDir.resolve(EmbeddedPostgresServer.DATA_SUBDIRECTORY).resolve("postmaster.pid"));
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static void killTree(ProcessHandle postmaster) {
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(0, postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            EmbeddedPostgresServer.awaitExit(all);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The expected durable state: origin, the terms of the entries after it, the hard state.
     * Entry contents follow from (index, term), see {@link CrashChild#data}.
     */
    record LogModel(long originIndex, List<Long> terms, HardState hardState) {
        static LogModel empty() {
            return new LogModel(0, List.of(), HardState.getDefaultInstance());
        }

        long lastIndex() {
            return originIndex + terms.size();
        }

        LogModel write(long writeFrom, int count, long term, long commit) {
            List<Long> next = new ArrayList<>(terms);
            if (count > 0) {
                next.subList(Math.toIntExact(writeFrom - originIndex - 1), next.size()).clear();
                for (int i = 0; i < count; i++) {
                    next.add(term);
                }
            }
            return new LogModel(originIndex, List.copyOf(next),
                    HardState.newBuilder().setTerm(term).setVote(1).setCommit(commit).build());
        }

        LogModel compact(long index) {
            return new LogModel(index, List.copyOf(terms.subList(Math.toIntExact(index - originIndex), terms.size())),
                    hardState);
        }

        static LogModel read(PostgresLogStore store) {
            long first = store.firstIndex();
            long last = store.lastIndex();
            List<Long> terms = new ArrayList<>();
            if (last >= first) {
                List<Entry> entries = store.entries(first, last + 1, Long.MAX_VALUE);
                assertThat(entries).hasSize(Math.toIntExact(last - first + 1));
                for (Entry entry : entries) {
                    assertThat(entry.getData()).as("content of entry %d", entry.getIndex())
                            .isEqualTo(CrashChild.data(entry.getIndex(), entry.getTerm()));
                    terms.add(entry.getTerm());
                }
            }
            return new LogModel(first - 1, List.copyOf(terms), store.hardState());
        }
    }
}
