package io.latchkey.jepsen;

import io.latchkey.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Injects faults on a schedule drawn from the run's seed: quiet, fault, heal, again, until the
 * workload ends. The choice and timing of faults come from the seed; what the cluster does
 * meanwhile does not (the leader a fault aims at is whichever leads at that moment).
 */
final class Nemesis implements Runnable {
    enum Fault { KILL, PAUSE, PARTITION, LOSS }

    private final Nodes nodes;
    private final List<Fault> faults;
    private final Random random;
    private final long endNanos;
    private final long startNanos = System.nanoTime();
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    Nemesis(Nodes nodes, List<Fault> faults, long seed, long endNanos) {
        this.nodes = nodes;
        this.faults = faults;
        this.random = new Random(seed);
        this.endNanos = endNanos;
    }

    List<String> events() {
        return List.copyOf(events);
    }

    private void log(String what) {
        String line = String.format("%7.1fs %s", (System.nanoTime() - startNanos) / 1e9, what);
        events.add(line);
    }

    private boolean running() {
        return System.nanoTime() - endNanos < 0;
    }

    /** Sleeps, waking early when the workload ends; false if it ended. */
    private boolean sleep(long millis) throws InterruptedException {
        long until = Math.min(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis), endNanos);
        while (System.nanoTime() - until < 0) {
            Await.pause(Duration.ofMillis(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())))));
        }
        return running();
    }

    @Override
    public void run() {
        try {
            while (running() && !faults.isEmpty()) {
                if (!sleep(2000 + random.nextInt(3000))) {
                    break;
                }
                Fault fault = faults.get(random.nextInt(faults.size()));
                switch (fault) {
                    case KILL -> kill();
                    case PAUSE -> pause();
                    case PARTITION -> partition();
                    case LOSS -> loss();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log("nemesis failed: " + e);
            throw new IllegalStateException(e);
        } finally {
            nodes.network.heal();
            nodes.resumeAll();
        }
    }

    /** The current leader half the time (when one is known), else a random node. */
    private int target() {
        int pick = random.nextInt(nodes.size());
        if (random.nextBoolean()) {
            int leader = nodes.leader();
            return leader >= 0 ? leader : pick;
        }
        return pick;
    }

    private void kill() throws Exception {
        int n = target();
        log("kill -9 node " + (n + 1));
        nodes.kill(n);
        sleep(1000 + random.nextInt(4000));
        log("restart node " + (n + 1));
        nodes.start(n);
    }

    private void pause() throws InterruptedException {
        int n = target();
        long millis = Workloads.LEASE_TTL_SECONDS * 1000 + 1000 + random.nextInt(3000);
        log("SIGSTOP node " + (n + 1) + " for " + millis + " ms");
        nodes.pause(n);
        try {
            sleep(millis);
        } finally {
            log("SIGCONT node " + (n + 1));
            nodes.resume(n);
        }
    }

    private void partition() throws InterruptedException {
        int size = nodes.size();
        int shape = random.nextInt(3);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        if (shape == 0) {
            Set<Integer> minority = new HashSet<>(order.subList(0, size / 2));
            Set<Integer> majority = new HashSet<>(order.subList(size / 2, size));
            log("partition halves " + plus1(minority) + " | " + plus1(majority));
            nodes.network.partition(List.of(minority, majority));
        } else if (shape == 1) {
            int leader = nodes.leader();
            int isolated = leader >= 0 ? leader : order.getFirst();
            Set<Integer> rest = new HashSet<>(order);
            rest.remove(isolated);
            log("partition isolate leader " + (isolated + 1) + " | " + plus1(rest));
            nodes.network.partition(List.of(Set.of(isolated), rest));
        } else {
            // Each node keeps only its ring neighbours; with 3 nodes (a triangle) cut one edge:
            // the node in the middle sees both sides, which overlap in it.
            List<int[]> cut = new ArrayList<>();
            for (int a = 0; a < size; a++) {
                for (int b = a + 1; b < size; b++) {
                    int pa = order.indexOf(a);
                    int pb = order.indexOf(b);
                    int gap = Math.abs(pa - pb);
                    if (gap != 1 && gap != size - 1) {
                        cut.add(new int[] {a, b});
                    }
                }
            }
            if (cut.isEmpty()) {
                cut.add(new int[] {order.get(0), order.get(1)});
            }
            StringBuilder text = new StringBuilder();
            cut.forEach(c -> text.append(' ').append(c[0] + 1).append('-').append(c[1] + 1));
            log("partition ring, cut links" + text);
            ((Network.Namespaces) nodes.network).cutLinks(cut);
        }
        try {
            sleep(3000 + random.nextInt(5000));
        } finally {
            log("heal");
            nodes.network.heal();
        }
    }

    private void loss() throws InterruptedException {
        double p = 0.1 + random.nextInt(3) * 0.1;
        log(String.format("packet loss %.0f%% between nodes", p * 100));
        nodes.network.lossy(p);
        try {
            sleep(3000 + random.nextInt(5000));
        } finally {
            log("heal");
            nodes.network.heal();
        }
    }

    private static List<Integer> plus1(Set<Integer> nodes) {
        return nodes.stream().sorted().map(n -> n + 1).toList();
    }
}
