package io.latchkey.jepsen;

import java.util.ArrayList;
import java.util.List;

/**
 * The harness's command line (scripts/jepsen.sh runs it with the test classpath): runs one
 * configuration for each seed and prints
 * {@code jepsen: N runs, M violations, K ops, I indeterminate}. Exit status 0 when every run
 * passed, 1 on any violation, 2 on bad usage or when it cannot run here (not root).
 */
public final class JepsenRunner {
    private JepsenRunner() {
    }

    /** Totals over runs. */
    record Summary(List<JepsenRun.RunResult> runs, List<String> errors) {
        int violations() {
            return runs.stream().mapToInt(JepsenRun.RunResult::violations).sum();
        }

        String line() {
            return "jepsen: " + runs.size() + " runs, " + violations() + " violations, "
                    + runs.stream().mapToInt(JepsenRun.RunResult::operations).sum() + " ops, "
                    + runs.stream().mapToInt(JepsenRun.RunResult::indeterminate).sum() + " indeterminate";
        }

        boolean passed() {
            return violations() == 0 && errors.isEmpty();
        }
    }

    /** Why the harness cannot run on this machine, or null. */
    static String unavailableReason() {
        if (!Shell.isRoot()) {
            return "needs root (network namespaces, iptables, signals to node processes)";
        }
        return null;
    }

    static Summary runAll(JepsenOptions options) {
        System.out.println("jepsen: " + options.describe());
        List<JepsenRun.RunResult> results = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (long seed : options.seeds()) {
            try {
                JepsenRun.RunResult r = new JepsenRun(options, seed).run();
                results.add(r);
                System.out.println("jepsen: seed " + seed + ": " + r.violations() + " violations, " + r.operations()
                        + " ops, " + r.indeterminate() + " indeterminate, " + r.snapshotInstalls() + " snapshot installs"
                        + (r.violations() > 0 ? "; history and node logs in " + r.artifacts() : ""));
                if (r.violations() > 0) {
                    System.out.println(r.report());
                }
            } catch (Exception e) {
                errors.add("seed " + seed + ": " + e);
                System.out.println("jepsen: seed " + seed + " could not run: " + e);
                e.printStackTrace(System.out);
            }
        }
        Summary summary = new Summary(results, errors);
        System.out.println(summary.line());
        return summary;
    }

    public static void main(String[] args) {
        String reason = unavailableReason();
        if (reason != null) {
            System.err.println("jepsen: cannot run: " + reason);
            System.exit(2);
        }
        String netnsProblem = Network.Namespaces.unavailableReason();
        JepsenOptions options;
        try {
            options = JepsenOptions.parse(args, netnsProblem == null);
        } catch (IllegalArgumentException e) {
            System.err.println("jepsen: " + e.getMessage() + "\n" + JepsenOptions.USAGE);
            System.exit(2);
            return;
        }
        if (netnsProblem != null) {
            System.out.println("jepsen: network namespaces unavailable (" + netnsProblem + "); nodes on loopback, no network faults");
        }
        Summary summary = runAll(options);
        System.exit(summary.passed() ? 0 : 1);
    }
}
