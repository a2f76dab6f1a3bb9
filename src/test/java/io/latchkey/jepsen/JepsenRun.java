package io.latchkey.jepsen;

import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyException;
import io.latchkey.testing.Await;
import io.latchkey.jepsen.checker.Budget;
import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.CheckResult;
import io.latchkey.jepsen.checker.FencedResourceModel;
import io.latchkey.jepsen.checker.History;
import io.latchkey.jepsen.checker.HistoryFile;
import io.latchkey.jepsen.checker.HistoryRecorder;
import io.latchkey.jepsen.checker.LinearizabilityChecker;
import io.latchkey.jepsen.checker.LockModel;
import io.latchkey.jepsen.checker.Operation;
import io.latchkey.jepsen.checker.Outcome;
import io.latchkey.jepsen.checker.RegisterModel;
import io.latchkey.jepsen.checker.Result;
import io.latchkey.jepsen.checker.RevisionCounterChecker;
import io.latchkey.jepsen.checker.SerializableReadChecker;
import io.latchkey.jepsen.checker.Verdict;
import io.latchkey.jepsen.checker.Violation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One seeded run: start the nodes, run the workloads under the nemesis for the configured time,
 * heal, restart what is down, read every key once more, check the history. Artifacts (history,
 * nemesis log, node logs, the checkers' report) stay under {@code <out>/<seed>/} when the run
 * fails and are deleted when it passes (unless asked to keep them).
 */
final class JepsenRun {
    /** How one run ended. */
    record RunResult(long seed, int violations, int operations, int indeterminate, long snapshotInstalls, String report,
                     Path artifacts) {
    }

    private static final int FINAL_PROCESS = 999_999;
    private static final Budget BUDGET = new Budget(50_000_000, Duration.ofSeconds(60));

    private final JepsenOptions options;
    private final long seed;
    /** Set once the workloads start. */
    private Workloads.Context ctx;
    private List<String> nemesisEvents = List.of();
    /** The watch workload's clients, for the watch check. */
    private final List<Watchers.Watcher> watchers = new ArrayList<>();

    JepsenRun(JepsenOptions options, long seed) {
        this.options = options;
        this.seed = seed;
    }

    RunResult run() throws Exception {
        Path dir = options.out().resolve(Long.toString(seed)).toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        String tag = Long.toHexString((ProcessHandle.current().pid() ^ seed) & 0xfff);
        Network network = options.netns() ? new Network.Namespaces(options.nodes(), tag) : new Network.Loopback(options.nodes());
        HistoryRecorder recorder = new HistoryRecorder(System::nanoTime);
        LeaseEvidence leases = new LeaseEvidence(Workloads.LEASE_TTL_SECONDS);
        NodeFaults faults = NodeFaults.prepare(dir.resolve("faults"), options.faults(), options.out().resolve("tools"));
        long snapshotInstalls;
        try (network; Nodes nodes = new Nodes(network, dir, faults, options.snapshotEntries())) {
            // A harness stopped by SIGTERM or Ctrl-C still removes its nodes, namespaces and rules.
            Thread cleanup = new Thread(() -> {
                nodes.killAll();
                network.close();
            }, "jepsen-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                runWorkloads(nodes, recorder, leases);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is already running.
                }
            }
            snapshotInstalls = nodes.snapshotInstalls();
        }
        History history = recorder.history();
        HistoryFile.write(dir.resolve("history.jsonl"), history);
        String report = check(history, leases, ctx, nemesisEvents, watchers);
        int violations = (int) report.lines().filter(l -> l.startsWith("VIOLATION")).count();
        int indeterminate = (int) history.operations().stream().filter(op -> op.outcome() == Outcome.INFO).count();
        Files.writeString(dir.resolve("report.txt"), report);
        Files.write(dir.resolve("nemesis.log"), nemesisEvents);
        // Node data (PostgreSQL clusters) is never kept; logs, history and report are, on failure.
        try (Stream<Path> nodeDirs = Files.list(dir)) {
            for (Path p : nodeDirs.filter(Files::isDirectory).toList()) {
                deleteTree(p);
            }
        }
        if (violations == 0 && ctx.harnessErrors.get() == 0 && !options.keep()) {
            deleteTree(dir);
        }
        return new RunResult(seed, violations, history.operations().size(), indeterminate, snapshotInstalls, report, dir);
    }


    private void runWorkloads(Nodes nodes, HistoryRecorder recorder, LeaseEvidence leases) throws Exception {
        nodes.startAll();
            if (!nodes.awaitLeader(Duration.ofSeconds(120))) {
                throw new IllegalStateException("no leader within 120 s\n" + nodes.logTails(20));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeSeconds());
            ctx = new Workloads.Context(nodes, recorder, leases, end);
            List<Thread> threads = new ArrayList<>();
            // A worker that dies stops recording operations, and a short history proves little: the run fails.
            List<String> crashed = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread.UncaughtExceptionHandler onCrash = (t, e) -> {
                crashed.add(t.getName() + ": " + e);
                e.printStackTrace();
            };
            int slot = 0;
            for (String w : options.workloads()) {
                int clients = switch (w) {
                    case "register", "lease-register" -> 5;
                    case "watch" -> 2;
                    default -> 4;
                };
                for (int c = 0; c < clients; c++, slot++) {
                    Runnable worker = switch (w) {
                        case "register" -> new Workloads.Register(ctx, slot, seed, false);
                        case "lease-register" -> new Workloads.Register(ctx, slot, seed, true);
                        case "lock" -> new Workloads.Lock(ctx, slot, seed, true);
                        case "lease" -> new Workloads.Lock(ctx, slot, seed, false);
                        case "watch" -> {
                            Watchers.Watcher watcher = new Watchers.Watcher(ctx, c + 1, seed);
                            watchers.add(watcher);
                            yield watcher;
                        }
                        default -> throw new IllegalArgumentException("unknown workload " + w);
                    };
                    threads.add(Thread.ofPlatform().name("jepsen-" + w + "-" + c).uncaughtExceptionHandler(onCrash).start(worker));
                }
            }
            Nemesis nemesis = new Nemesis(nodes, options.faults(), seed, end);
            Thread nemesisThread = Thread.ofPlatform().name("jepsen-nemesis").start(nemesis);
            try {
                nemesisThread.join();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(options.timeSeconds()) + 60_000);
                }
            } finally {
                nemesisThread.interrupt();
                threads.forEach(Thread::interrupt);
                nemesisThread.join(30_000);
                nemesisEvents = nemesis.events();
            }
            if (!crashed.isEmpty()) {
                throw new IllegalStateException("client workers died: " + crashed);
            }
            heal(nodes);
        finalReads(ctx);
    }

    /** Undoes every fault and restarts dead nodes and nodes whose loop stopped, then waits for a leader. */
    private static void heal(Nodes nodes) throws Exception {
        nodes.network.heal();
        nodes.faults.heal(nodes.size());
        nodes.resumeAll();
        for (int i = 0; i < nodes.size(); i++) {
            int node = i;
            // A silent node may still be starting (that takes up to a minute on a busy machine).
            Await.within(Duration.ofSeconds(60), () -> nodes.health(node).state() != Nodes.Health.State.SILENT);
            Nodes.Health health = nodes.health(i);
            if (health.state() != Nodes.Health.State.LIVE) {
                System.out.println("jepsen: restarting node " + (i + 1) + " after the run: " + health);
                nodes.kill(i);
                nodes.start(i);
            }
        }
        if (!nodes.awaitLeader(Duration.ofSeconds(90))) {
            System.err.println("jepsen: no leader 90 s after healing\n" + nodes.logTails(10));
        }
    }

    /** A linearizable read of every key the workloads touched, retried until answered, so lost writes show. */
    private static void finalReads(Workloads.Context ctx) {
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < Workloads.KEYS; k++) {
            keys.add("jk" + k);
        }
        for (int l = 0; l < Workloads.LOCKS; l++) {
            keys.add("jr-jl" + l);
        }
        int process = FINAL_PROCESS;
        for (String key : keys) {
            for (int attempt = 0; attempt < 10; attempt++) {
                int id = ctx.recorder.invoke(process, new Call.Read(key));
                try {
                    Optional<KeyValue> read = ctx.nodes.client(attempt % ctx.nodes.size()).get(key);
                    ctx.recorder.ok(id, new Result.ValueAt(read.map(KeyValue::text).orElse(null),
                            read.map(KeyValue::modRevision).orElse(0L)));
                    break;
                } catch (LatchkeyException e) {
                    ctx.recorder.info(id);
                    process++;
                    // A client backs off after an unknown outcome before asking again.
                    Await.pause(Duration.ofMillis(500));
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                }
            }
        }
    }

    /** Runs every checker; each problem is one line starting with VIOLATION, followed by details. */
    private static String check(History history, LeaseEvidence leases, Workloads.Context ctx, List<String> nemesisEvents,
                                List<Watchers.Watcher> watchers) {
        StringBuilder report = new StringBuilder();
        LinearizabilityChecker checker = new LinearizabilityChecker(BUDGET);
        CheckResult registers = checker.check(history, new RegisterModel());
        CheckResult locks = checker.check(history, new FencedResourceModel(LockModel.leasesMayExpire()));
        verdict(report, "registers (linearizable and lease reads, writes, CAS, deletes, fenced writes)", registers, ctx);
        verdict(report, "locks (grants, releases, token-guarded resource writes)", locks, ctx);
        violations(report, "revision counter", RevisionCounterChecker.check(history));
        violations(report, "serializable reads", SerializableReadChecker.check(history));
        violations(report, "lock leases", leases.check(history));
        if (!watchers.isEmpty()) {
            violations(report, "watch streams (none lost, reordered, repeated or invented across reconnects)",
                    Watchers.check(watchers, history));
            watchers.forEach(w -> report.append("  ").append(w.describe()).append('\n'));
        }
        if (ctx.harnessErrors.get() > 0) {
            report.append("HARNESS ").append(ctx.harnessErrors.get()).append(" unexpected answers (see stderr)\n");
        }
        report.append("\nanswers:\n");
        new java.util.TreeMap<>(ctx.answers).forEach((k, v) -> report.append("  ").append(k).append(": ").append(v)
                .append(ctx.samples.containsKey(k) ? "   e.g. " + ctx.samples.get(k) : "").append('\n'));
        report.append("\nnemesis:\n");
        nemesisEvents.forEach(e -> report.append("  ").append(e).append('\n'));
        long leaseReadOps = history.operations().stream().filter(op -> ctx.leaseReads.contains(op.id())).count();
        report.append("\nlease-consistency reads (checked as linearizable reads): ").append(leaseReadOps).append('\n');
        return report.toString();
    }

    private static void verdict(StringBuilder report, String what, CheckResult result, Workloads.Context ctx) {
        if (result.verdict() == Verdict.LINEARIZABLE) {
            report.append("ok ").append(what).append(": ").append(result.verdict()).append(", ")
                    .append(result.partitions().size()).append(" objects, ").append(result.steps()).append(" steps\n");
            return;
        }
        // UNKNOWN counts as a failure: an unchecked history is not a passing one.
        report.append("VIOLATION ").append(what).append(": ").append(result.describe());
        for (var p : result.problems()) {
            Stream.concat(p.linearization().stream(), p.candidatesAfter().stream())
                    .filter(op -> ctx.leaseReads.contains(op.id()))
                    .sorted(Comparator.comparingInt(Operation::id))
                    .forEach(op -> report.append("  (#").append(op.id()).append(" was a lease-consistency read)\n"));
        }
    }

    private static void violations(StringBuilder report, String what, List<Violation> found) {
        if (found.isEmpty()) {
            report.append("ok ").append(what).append('\n');
            return;
        }
        for (Violation v : found) {
            report.append("VIOLATION ").append(what).append(": ").append(v.describe());
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
