package io.latchkey.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Load generator for the service benchmark (see BENCHMARKS.md, "Service (3 local nodes)";
 * scripts/bench-service.sh and scripts/bench-compare.sh start the clusters and call it).
 *
 * <pre>
 * run --system latchkey|zookeeper|etcd --endpoints E1,E2,E3 [--mode spread|leader]
 *     [--clients 1,16,64] [--scenarios put,get-linearizable,...|all] [--prime 0] [--warmup 2] [--seconds 10]
 *     [--out results.tsv]
 * report results.tsv...     prints the markdown tables, Latchkey against the others
 * </pre>
 *
 * Each scenario point runs N client threads in a closed loop (each waits for its answer
 * before the next request) for a warm-up and then the measured seconds; it prints ops/s,
 * p50/p99 latency and errors, and appends a tab-separated line to {@code --out}.
 *
 * <p>{@code --prime S} first runs every chosen scenario at {@link #PRIME_CLIENTS} clients for S
 * seconds in all, unmeasured: the servers compared are JVMs (Latchkey, ZooKeeper) or not (etcd),
 * and a point measured before the JIT compiled the server's request path measures its compiler,
 * not its steady state (a Latchkey put at 1 client took ~20 ms p50 in the first seconds of a
 * fresh cluster and ~3.5 ms half a minute later). Every system gets the same priming.
 */
public final class ServiceLoadGenerator {
    /** Clients of the priming phase: enough to run every path often, few enough not to overload. */
    static final int PRIME_CLIENTS = 8;

    private ServiceLoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        switch (args[0]) {
            case "run" -> run(options(Arrays.copyOfRange(args, 1, args.length)));
            case "report" -> report(Arrays.copyOfRange(args, 1, args.length));
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: run --system latchkey|zookeeper|etcd --endpoints E1,E2,E3 [--mode spread|leader] "
                + "[--clients 1,16,64] [--scenarios all] [--prime 0] [--warmup 2] [--seconds 10] [--out file.tsv]\n"
                + "       report file.tsv...");
        System.exit(2);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>(Map.of("mode", "spread", "clients", "1,16,64", "scenarios", "all",
                "prime", "0", "warmup", "2", "seconds", "10"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage();
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        if (!o.containsKey("system") || !o.containsKey("endpoints")) {
            usage();
        }
        return o;
    }

    private static void run(Map<String, String> o) throws Exception {
        List<String> endpoints = List.of(o.get("endpoints").split(","));
        List<Scenario> scenarios = o.get("scenarios").equals("all") ? List.of(Scenario.values())
                : Arrays.stream(o.get("scenarios").split(",")).map(Scenario::of).toList();
        int[] clientCounts = Arrays.stream(o.get("clients").split(",")).mapToInt(Integer::parseInt).toArray();
        Duration warmup = Duration.ofMillis((long) (Double.parseDouble(o.get("warmup")) * 1000));
        Duration measure = Duration.ofMillis((long) (Double.parseDouble(o.get("seconds")) * 1000));
        Duration prime = Duration.ofMillis((long) (Double.parseDouble(o.get("prime")) * 1000));
        Path out = o.containsKey("out") ? Path.of(o.get("out")) : null;
        try (Target target = switch (o.get("system")) {
            case "latchkey" -> new LatchkeyTarget(endpoints, o.get("mode"));
            case "zookeeper" -> new ZooKeeperTarget(endpoints);
            case "etcd" -> new EtcdTarget(endpoints);
            default -> throw new IllegalArgumentException("unknown system " + o.get("system"));
        }) {
            String system = target.name() + (o.get("mode").equals("leader") ? "-leader" : "");
            System.out.printf("%s: %s; %d s warm-up + %d s measured per point%n", system, target.routing(),
                    warmup.toSeconds(), measure.toSeconds());
            prime(target, system, scenarios, prime);
            System.out.printf("%-18s %7s %10s %9s %9s %7s%n", "scenario", "clients", "ops/s", "p50 ms", "p99 ms", "errors");
            for (Scenario scenario : scenarios) {
                if (!target.supports(scenario)) {
                    continue;
                }
                target.prepare(scenario);
                for (int clients : clientCounts) {
                    LoadHarness.Result r = LoadHarness.run(system, scenario.label, clients, warmup, measure,
                            index -> target.client(scenario, index), target::retries);
                    System.out.printf(Locale.ROOT, "%-18s %7d %10.1f %9.3f %9.3f %7d%s%n", r.scenario(), r.clients(),
                            r.opsPerSecond(), r.p50Millis(), r.p99Millis(), r.errors(),
                            r.firstError() == null ? "" : "  first error: " + r.firstError());
                    String placement = target.placement();
                    if (placement != null) {
                        System.out.println("  " + placement);
                    }
                    if (out != null) {
                        Files.writeString(out, r.tsv() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                }
            }
        }
    }

    /** Runs every supported scenario for an equal share of {@code total}, results discarded. */
    private static void prime(Target target, String system, List<Scenario> scenarios, Duration total) throws Exception {
        List<Scenario> supported = scenarios.stream().filter(target::supports).toList();
        if (total.isZero() || supported.isEmpty()) {
            return;
        }
        Duration share = total.dividedBy(supported.size());
        System.out.printf("priming: %d s over %d scenarios at %d clients, not measured%n", total.toSeconds(),
                supported.size(), PRIME_CLIENTS);
        for (Scenario scenario : supported) {
            target.prepare(scenario);
            LoadHarness.run(system, scenario.label, PRIME_CLIENTS, Duration.ZERO, share,
                    index -> target.client(scenario, index), target::retries);
        }
    }

    /** Markdown tables: one per scenario, a row per client count, Latchkey's ratios to the others of the same files. */
    private static void report(String[] files) throws IOException {
        List<LoadHarness.Result> results = new ArrayList<>();
        for (String f : files) {
            for (String line : Files.readAllLines(Path.of(f))) {
                if (!line.isBlank()) {
                    results.add(LoadHarness.Result.parse(line));
                }
            }
        }
        List<String> systems = results.stream().map(LoadHarness.Result::system).distinct().sorted((a, b) -> rank(a) - rank(b)).toList();
        List<String> others = systems.stream().filter(s -> !s.startsWith("latchkey")).toList();
        Map<String, LoadHarness.Result> byKey = new LinkedHashMap<>();
        results.forEach(r -> byKey.put(r.system() + "|" + r.scenario() + "|" + r.clients(), r));
        for (Scenario scenario : Scenario.values()) {
            List<Integer> counts = results.stream().filter(r -> r.scenario().equals(scenario.label))
                    .map(LoadHarness.Result::clients).distinct().sorted().toList();
            if (counts.isEmpty()) {
                continue;
            }
            System.out.printf("%n#### %s: %s%n%n", scenario.label, scenario.description);
            StringBuilder head = new StringBuilder("| clients |");
            StringBuilder rule = new StringBuilder("|---:|");
            for (String s : systems) {
                head.append(' ').append(s).append(" ops/s | p50 / p99 ms |");
                rule.append("---:|---:|");
            }
            for (String s : others) {
                head.append(" latchkey ÷ ").append(s).append(" |");
                rule.append("---:|");
            }
            System.out.println(head);
            System.out.println(rule);
            for (int clients : counts) {
                StringBuilder row = new StringBuilder("| " + clients + " |");
                for (String s : systems) {
                    LoadHarness.Result r = byKey.get(s + "|" + scenario.label + "|" + clients);
                    if (r == null) {
                        row.append(" — | — |");
                    } else {
                        row.append(String.format(Locale.ROOT, " %,.0f%s | %.2f / %.2f |", r.opsPerSecond(),
                                r.errors() > 0 ? " (" + r.errors() + " errors)" : "", r.p50Millis(), r.p99Millis()));
                    }
                }
                LoadHarness.Result mine = byKey.get("latchkey|" + scenario.label + "|" + clients);
                for (String s : others) {
                    LoadHarness.Result theirs = byKey.get(s + "|" + scenario.label + "|" + clients);
                    row.append(mine == null || theirs == null || theirs.ops() == 0 ? " — |"
                            : String.format(Locale.ROOT, " %.2f |", mine.opsPerSecond() / theirs.opsPerSecond()));
                }
                System.out.println(row);
            }
        }
    }

    private static int rank(String system) {
        return switch (system) {
            case "latchkey" -> 0;
            case "latchkey-leader" -> 1;
            case "zookeeper" -> 2;
            case "etcd" -> 3;
            default -> 4;
        };
    }
}
