package io.latchkey.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a node finds its cluster on first start, when its storage is empty. Three ways:
 * <ul>
 *   <li>no peers configured: the node bootstraps a cluster of itself and can grow it later
 *       through the membership API.</li>
 *   <li>{@link Static}: {@code latchkey.cluster.peers} lists the initial members
 *       ({@code id=url,...}) and {@code latchkey.node-id} says which one this is.</li>
 *   <li>{@link StatefulSet}: the initial members are derived from the pod name's ordinal, the
 *       replica count and the headless service; their ids are derived from the cluster's name,
 *       so every pod computes the same list without talking.</li>
 * </ul>
 * A node with an empty volume that is not an initial member joins an existing cluster instead
 * (its id comes from the membership API), so two clusters are never bootstrapped.
 */
public sealed interface ClusterLayout {
    /** An initial member: its id and peer URL. */
    record InitialMember(long id, String name, String peerUrl) {
    }

    /** A fixed list of initial members, this node among them. */
    record Static(long nodeId, List<InitialMember> members) implements ClusterLayout {
        public Static {
            members = List.copyOf(members);
            if (members.stream().noneMatch(m -> m.id() == nodeId)) {
                throw new IllegalArgumentException("latchkey.node-id " + Long.toHexString(nodeId)
                        + " is not among latchkey.cluster.peers");
            }
        }
    }

    /**
     * A pod of a StatefulSet. {@code initialMember} says whether its ordinal is below the
     * initial replica count (it may bootstrap) or above (it must join).
     */
    record StatefulSet(int ordinal, String podName, boolean initialMember, List<InitialMember> members, long clusterId)
            implements ClusterLayout {
    }

    /** The cluster id of a cluster bootstrapped from this layout; the same on every initial member. */
    static long clusterIdOf(List<InitialMember> members) {
        StringBuilder key = new StringBuilder();
        members.stream().sorted(java.util.Comparator.comparingLong(InitialMember::id))
                .forEach(m -> key.append(Long.toHexString(m.id())).append('=').append(m.peerUrl()).append(','));
        return positiveHash(key.toString());
    }

    /**
     * Parses {@code id=url,...} (ids in hex, as Raft prints them).
     *
     * @throws IllegalArgumentException naming {@code latchkey.cluster.peers} on bad input
     */
    static List<InitialMember> parsePeers(String peers) {
        Map<Long, InitialMember> byId = new LinkedHashMap<>();
        for (String item : peers.split(",")) {
            String trimmed = item.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq <= 0 || eq == trimmed.length() - 1) {
                throw new IllegalArgumentException("latchkey.cluster.peers: expected id=url, got '" + trimmed + "'");
            }
            long id;
            try {
                id = Long.parseUnsignedLong(trimmed.substring(0, eq).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("latchkey.cluster.peers: '" + trimmed.substring(0, eq)
                        + "' is not a node id (hexadecimal)");
            }
            if (id == 0) {
                throw new IllegalArgumentException("latchkey.cluster.peers: node id 0 is reserved");
            }
            String url = trimmed.substring(eq + 1).strip();
            if (!url.startsWith("http://") && !url.startsWith("https://")) {
                throw new IllegalArgumentException("latchkey.cluster.peers: peer URL '" + url + "' must start with http:// or https://");
            }
            if (byId.put(id, new InitialMember(id, "node-" + Long.toHexString(id), url)) != null) {
                throw new IllegalArgumentException("latchkey.cluster.peers: node id " + Long.toHexString(id) + " appears twice");
            }
        }
        if (byId.isEmpty()) {
            throw new IllegalArgumentException("latchkey.cluster.peers lists no member");
        }
        return new ArrayList<>(byId.values());
    }

    /**
     * The members of a StatefulSet's initial cluster: {@code <sts>-<i>} at
     * {@code <scheme>://<sts>-<i>.<service>.<namespace>.svc.<domain>:<peerPort>} for i below
     * {@code initialReplicas}. The pod name is {@code <sts>-<ordinal>}.
     */
    static StatefulSet statefulSet(String podName, String serviceName, String namespace, String clusterDomain,
                                   int initialReplicas, int peerPort, boolean tls) {
        Matcher m = POD_NAME.matcher(podName);
        if (!m.matches()) {
            throw new IllegalArgumentException("latchkey.k8s.pod-name '" + podName + "' does not end in -<ordinal>");
        }
        if (initialReplicas < 1) {
            throw new IllegalArgumentException("latchkey.k8s.replicas must be at least 1");
        }
        String set = m.group(1);
        int ordinal = Integer.parseInt(m.group(2));
        String scheme = tls ? "https" : "http";
        List<InitialMember> members = new ArrayList<>();
        for (int i = 0; i < initialReplicas; i++) {
            String pod = set + "-" + i;
            String url = scheme + "://" + pod + "." + serviceName + "." + namespace + ".svc." + clusterDomain + ":" + peerPort;
            members.add(new InitialMember(positiveHash(namespace + "/" + set + "/" + i), pod, url));
        }
        return new StatefulSet(ordinal, podName, ordinal < initialReplicas, members, clusterIdOf(members));
    }

    Pattern POD_NAME = Pattern.compile("(.+)-(\\d+)");

    /** A non-zero 63-bit number from a string, the same on every machine. */
    private static long positiveHash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long value = 0;
            for (int i = 0; i < Long.BYTES; i++) {
                value = (value << 8) | (digest[i] & 0xff);
            }
            value &= Long.MAX_VALUE;
            return value == 0 ? 1 : value;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
