package io.latchkey.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for node processes to listen on, picked below the kernel's ephemeral port range.
 *
 * <p>A node restarted by a test must find its ports free again. A port from the ephemeral
 * range ({@code new ServerSocket(0)}) is not: while the node is down, the kernel may hand it
 * out as the source port of any outgoing connection on the machine, and a client polling the
 * stopped node (the test itself) can even get a connection to itself (TCP simultaneous open,
 * 127.0.0.1:P to 127.0.0.1:P). The restarted node then failed to bind ("Address already in
 * use"), ran on without its listeners, and looked like a member its leader could not reach.
 */
public final class ListenPorts {
    private static final int LOWEST = 10_000;
    /** Linux's default when the range cannot be read. */
    private static final int EPHEMERAL_LOW_DEFAULT = 32_768;
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Handed out by this JVM: never twice, although the first taker may not have bound it yet. */
    private static final Set<Integer> ISSUED = ConcurrentHashMap.newKeySet();

    private ListenPorts() {
    }

    /** A port that is free now and outside the ephemeral range. */
    public static int free() {
        return freeBase(1) + 1;
    }

    /** A base such that {@code base + 1} to {@code base + count} are free now and outside the ephemeral range. */
    public static int freeBase(int count) {
        int highest = ephemeralLow() - 1;
        if (highest - count <= LOWEST) {
            throw new IllegalStateException("the ephemeral port range starts at " + (highest + 1)
                    + ": no room below it for listening ports");
        }
        for (int attempt = 0; attempt < 10_000; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(LOWEST, highest - count);
            if (claim(base, count)) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " free ports between " + LOWEST + " and " + highest);
    }

    private static boolean claim(int base, int count) {
        for (int port = base + 1; port <= base + count; port++) {
            if (ISSUED.contains(port) || !bindable(port)) {
                return false;
            }
        }
        for (int port = base + 1; port <= base + count; port++) {
            if (!ISSUED.add(port)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int ephemeralLow() {
        try {
            // Not readString: it trusts the size procfs reports and read one byte of this file.
            return Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).getFirst().strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return EPHEMERAL_LOW_DEFAULT;
        }
    }
}
