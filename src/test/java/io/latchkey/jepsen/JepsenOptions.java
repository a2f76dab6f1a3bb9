package io.latchkey.jepsen;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One configuration of the harness.
 *
 * @param seeds       one run per seed; each seeds its nemesis schedule and clients
 * @param timeSeconds workload time per run (then heal, final reads, check)
 * @param faults      the nemesis's faults
 * @param workloads   register, lease-register (mostly lease reads), lock, lease, watch (follows the
 *                    register keys: use with register)
 * @param netns       nodes in network namespaces (needed by partition and loss) or on loopback
 * @param snapshotEntries the nodes' {@code latchkey.raft.snapshot-entries}: small, so that members
 *                    snapshot and compact often and one that fell behind during a fault catches up
 *                    through a snapshot install rather than the log
 */
record JepsenOptions(List<Long> seeds, int timeSeconds, int nodes, List<Nemesis.Fault> faults, List<String> workloads,
                     boolean netns, Path out, boolean keep, long snapshotEntries) {
    /** A few seconds of writes at the harness's rate, so a fault of a few seconds usually ends in a snapshot install. */
    static final long SNAPSHOT_ENTRIES_DEFAULT = 100;

    static final String USAGE = """
            usage: jepsen [--seed S] [--runs N] [--time T] [--nodes 3|5]
                          [--nemesis kill,pause,partition,loss,clock,fsync,member,transfer,oneway,pgpause,reconfig|all|none]
                          [--workload register,lease-register,lock,lease,watch] [--net netns|loopback] [--out DIR] [--keep]
                          [--snapshot-entries N]
              --runs N   runs seeds S, S+1, ... S+N-1 (default 1)
              --snapshot-entries N  entries between the nodes' snapshots (default 100: members that
                         fall behind during a fault catch up through snapshot installs)
              --nemesis  default kill,pause (+ partition,loss with --net netns); 'all' is every fault;
                         clock needs libfaketime, fsync needs gcc
              --net      default netns when namespaces can be created, else loopback (no network faults)
            """;

    static JepsenOptions parse(String[] args, boolean netnsAvailable) {
        long seed = System.currentTimeMillis() % 100_000;
        int runs = 1;
        int time = 60;
        int nodes = 3;
        String nemesis = null;
        String workload = "register,lock";
        Boolean netns = null;
        Path out = Path.of("target", "jepsen");
        boolean keep = false;
        long snapshotEntries = SNAPSHOT_ENTRIES_DEFAULT;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                case "--runs" -> runs = Integer.parseInt(value(args, ++i, a));
                case "--time" -> time = Integer.parseInt(value(args, ++i, a));
                case "--nodes" -> nodes = Integer.parseInt(value(args, ++i, a));
                case "--nemesis" -> nemesis = value(args, ++i, a);
                case "--workload" -> workload = value(args, ++i, a);
                case "--net" -> {
                    String net = value(args, ++i, a);
                    if (!net.equals("netns") && !net.equals("loopback")) {
                        throw new IllegalArgumentException("--net must be netns or loopback");
                    }
                    netns = net.equals("netns");
                }
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--keep" -> keep = true;
                case "--snapshot-entries" -> snapshotEntries = Long.parseLong(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (nodes != 3 && nodes != 5) {
            throw new IllegalArgumentException("--nodes must be 3 or 5");
        }
        if (snapshotEntries < 2) {
            throw new IllegalArgumentException("--snapshot-entries must be at least 2");
        }
        if (runs < 1 || time < 5) {
            throw new IllegalArgumentException("--runs must be at least 1 and --time at least 5");
        }
        boolean useNetns = netns == null ? netnsAvailable : netns;
        List<Nemesis.Fault> faults = faults(nemesis == null ? (useNetns ? "kill,pause,partition,loss" : "kill,pause") : nemesis);
        if (!useNetns && faults.stream().anyMatch(f -> f == Nemesis.Fault.PARTITION || f == Nemesis.Fault.LOSS
                || f == Nemesis.Fault.ONEWAY)) {
            throw new IllegalArgumentException("partition, loss and oneway need --net netns");
        }
        List<String> workloads = List.of(workload.split(","));
        for (String w : workloads) {
            if (!Set.of("register", "lease-register", "lock", "lease", "watch").contains(w)) {
                throw new IllegalArgumentException("unknown workload " + w);
            }
        }
        List<Long> seeds = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            seeds.add(seed + r);
        }
        return new JepsenOptions(seeds, time, nodes, faults, workloads, useNetns, out, keep, snapshotEntries);
    }

    private static List<Nemesis.Fault> faults(String spec) {
        if (spec.equals("none")) {
            return List.of();
        }
        if (spec.equals("all")) {
            return List.of(Nemesis.Fault.values());
        }
        return List.of(spec.split(",")).stream().map(f -> Nemesis.Fault.valueOf(f.strip().toUpperCase())).toList();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    String describe() {
        return "seeds " + seeds + ", " + timeSeconds + " s, " + nodes + " nodes on " + (netns ? "network namespaces" : "loopback")
                + ", nemesis " + faults + ", workloads " + workloads + ", snapshot every " + snapshotEntries + " entries";
    }
}
