package io.latchkey.jepsen;

import io.latchkey.testing.Await;
import io.latchkey.testing.ListenPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Where the nodes live and how the harness cuts links between them.
 *
 * <p>{@link Namespaces}: each node in its own network namespace with a veth on a private bridge
 * (10.77.k.0/24, k picked so no existing route is shadowed); the bridge has 10.77.k.1 in the
 * root namespace, where the clients run. Partitions and packet loss are iptables rules inside
 * the node namespaces, so nothing outside the namespaces this harness created is touched.
 * {@link Loopback}: every node on 127.0.0.1 with its own ports; no network faults (all nodes
 * share one address, so a rule cannot tell which node a connection comes from).
 */
sealed interface Network extends AutoCloseable {

    int size();

    /** The address node i (0-based) binds and advertises. */
    String host(int i);

    int clientPort(int i);

    int peerPort(int i);

    /** The command prefix that runs a program as node i's host (empty on loopback). */
    List<String> wrap(int i);

    boolean canPartition();

    /** Drops all traffic between nodes of different groups; every node is in exactly one group. */
    void partition(List<Set<Integer>> groups);

    /** Drops the given fraction of packets each node receives from the other nodes. */
    void lossy(double probability);

    /** Removes every fault rule. */
    void heal();

    @Override
    void close();

    /** Nodes on loopback. */
    final class Loopback implements Network {
        private final int[] clientPorts;
        private final int[] peerPorts;

        Loopback(int size) {
            clientPorts = new int[size];
            peerPorts = new int[size];
            for (int i = 0; i < size; i++) {
                clientPorts[i] = ListenPorts.free();
                peerPorts[i] = ListenPorts.free();
            }
        }

        @Override
        public int size() {
            return clientPorts.length;
        }

        @Override
        public String host(int i) {
            return "127.0.0.1";
        }

        @Override
        public int clientPort(int i) {
            return clientPorts[i];
        }

        @Override
        public int peerPort(int i) {
            return peerPorts[i];
        }

        @Override
        public List<String> wrap(int i) {
            return List.of();
        }

        @Override
        public boolean canPartition() {
            return false;
        }

        @Override
        public void partition(List<Set<Integer>> groups) {
            throw new UnsupportedOperationException("loopback nodes cannot be partitioned");
        }

        @Override
        public void lossy(double probability) {
            throw new UnsupportedOperationException("loopback nodes cannot lose packets");
        }

        @Override
        public void heal() {
        }

        @Override
        public void close() {
        }
    }

    /** One network namespace per node on a private bridge. */
    final class Namespaces implements Network {
        static final int CLIENT_PORT = 8080;
        static final int PEER_PORT = 7080;
        private final String prefix;
        private final int subnet;
        private final int size;
        private final String bridge;
        private final List<String> created = new ArrayList<>();

        /**
         * Creates the bridge and namespaces; on any failure removes what it made and throws.
         *
         * @param tag a short unique tag (hex) so concurrent runs do not collide
         */
        Namespaces(int size, String tag) {
            this.size = size;
            this.prefix = "lkj" + tag;
            this.bridge = prefix + "br";
            this.subnet = freeSubnet();
            try {
                Shell.must("ip", "link", "add", bridge, "type", "bridge");
                created.add("bridge");
                Shell.must("ip", "addr", "add", "10.77." + subnet + ".1/24", "dev", bridge);
                Shell.must("ip", "link", "set", bridge, "up");
                for (int i = 0; i < size; i++) {
                    String ns = ns(i);
                    Shell.must("ip", "netns", "add", ns);
                    created.add(ns);
                    Shell.must("ip", "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
                    Shell.must("ip", "link", "set", veth(i), "master", bridge, "up");
                    Shell.must("ip", "-n", ns, "addr", "add", host(i) + "/24", "dev", "eth0");
                    Shell.must("ip", "-n", ns, "link", "set", "eth0", "up");
                    Shell.must("ip", "-n", ns, "link", "set", "lo", "up");
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** The first 10.77.k.0/24 (k in 0..199) no route of the root namespace covers yet. */
        private static int freeSubnet() {
            for (int k = 0; k < 200; k++) {
                Shell.Outcome routes = Shell.run("ip", "route", "show", "to", "match", "10.77." + k + ".1");
                boolean used = routes.output().lines().anyMatch(l -> l.startsWith("10.77."));
                if (!used) {
                    return k;
                }
            }
            throw new IllegalStateException("no free 10.77.k.0/24 subnet");
        }

        /** Whether this machine lets us create a namespace and a bridge (we are root and have ip, iptables). */
        static String unavailableReason() {
            if (!Shell.isRoot()) {
                return "not root";
            }
            for (String tool : List.of("ip", "iptables")) {
                if (!Shell.onPath(tool)) {
                    return tool + " is not installed";
                }
            }
            String probe = "lkjprobe" + Long.toHexString(ProcessHandle.current().pid() & 0xffff);
            Shell.Outcome add = Shell.run("ip", "netns", "add", probe);
            if (!add.ok()) {
                return "ip netns add failed: " + add.output();
            }
            Shell.run("ip", "netns", "del", probe);
            return null;
        }

        String ns(int i) {
            return prefix + "n" + (i + 1);
        }

        private String veth(int i) {
            return prefix + "v" + (i + 1);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public String host(int i) {
            return "10.77." + subnet + "." + (11 + i);
        }

        @Override
        public int clientPort(int i) {
            return CLIENT_PORT;
        }

        @Override
        public int peerPort(int i) {
            return PEER_PORT;
        }

        @Override
        public List<String> wrap(int i) {
            return List.of("ip", "netns", "exec", ns(i));
        }

        @Override
        public boolean canPartition() {
            return true;
        }

        @Override
        public void partition(List<Set<Integer>> groups) {
            heal();
            for (Set<Integer> group : groups) {
                for (int a : group) {
                    for (int b = 0; b < size; b++) {
                        if (!group.contains(b)) {
                            iptables(a, "-A", "INPUT", "-s", host(b), "-j", "DROP");
                            iptables(a, "-A", "OUTPUT", "-d", host(b), "-j", "DROP");
                        }
                    }
                }
            }
        }

        @Override
        public void lossy(double probability) {
            heal();
            for (int a = 0; a < size; a++) {
                for (int b = 0; b < size; b++) {
                    if (a != b) {
                        iptables(a, "-A", "INPUT", "-s", host(b), "-m", "statistic", "--mode", "random",
                                "--probability", Double.toString(probability), "-j", "DROP");
                    }
                }
            }
        }

        /**
         * Node a stops receiving from the other nodes while what it sends still leaves (a
         * one-way partition): a leader that cannot hear it has been replaced.
         */
        void deafen(int a) {
            heal();
            for (int b = 0; b < size; b++) {
                if (b != a) {
                    iptables(a, "-A", "INPUT", "-s", host(b), "-j", "DROP");
                }
            }
        }

        /**
         * One-way partitions: for each {from, to}, node {@code to} drops every packet from
         * {@code from}, while {@code to}'s packets still reach {@code from}. Over TCP the other
         * direction does not stay whole either: a connection opened by {@code to} delivers
         * its first data but never hears the acknowledgements, so it stalls, and a new one
         * cannot be opened; the asymmetry is in which messages still get through for a while.
         * Adds to the rules in place.
         */
        void dropOneWay(List<int[]> links) {
            for (int[] link : links) {
                iptables(link[1], "-A", "INPUT", "-s", host(link[0]), "-j", "DROP");
            }
        }

        /** Partitions where a is cut from b but b's other links stay: a "ring" of majorities. */
        void cutLinks(List<int[]> links) {
            heal();
            for (int[] link : links) {
                iptables(link[0], "-A", "INPUT", "-s", host(link[1]), "-j", "DROP");
                iptables(link[0], "-A", "OUTPUT", "-d", host(link[1]), "-j", "DROP");
                iptables(link[1], "-A", "INPUT", "-s", host(link[0]), "-j", "DROP");
                iptables(link[1], "-A", "OUTPUT", "-d", host(link[0]), "-j", "DROP");
            }
        }

        private void iptables(int node, String... rule) {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns(node), "iptables", "-w"));
            command.addAll(List.of(rule));
            Shell.must(command.toArray(String[]::new));
        }

        @Override
        public void heal() {
            for (int i = 0; i < size; i++) {
                if (created.contains(ns(i))) {
                    Shell.run("ip", "netns", "exec", ns(i), "iptables", "-w", "-F");
                }
            }
        }

        /**
         * Kills whatever still runs in our namespaces (a node's orphaned PostgreSQL keeps the
         * namespace alive), then deletes namespaces, veths and the bridge.
         */
        @Override
        public synchronized void close() {
            for (int i = 0; i < size; i++) {
                if (!created.contains(ns(i))) {
                    continue;
                }
                for (int attempt = 0; attempt < 5; attempt++) {
                    String[] pids = Shell.run("ip", "netns", "pids", ns(i)).output().split("\\s+");
                    boolean any = false;
                    for (String pid : pids) {
                        if (pid.matches("\\d+")) {
                            Shell.signal(Long.parseLong(pid), "KILL");
                            any = true;
                        }
                    }
                    if (!any) {
                        break;
                    }
                    Await.pause(Duration.ofMillis(200));
                }
                Shell.run("ip", "link", "del", veth(i));
                Shell.run("ip", "netns", "del", ns(i));
            }
            if (created.contains("bridge")) {
                Shell.run("ip", "link", "del", bridge);
            }
            created.clear();
        }
    }
}
