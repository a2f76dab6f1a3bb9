package io.latchkey.config;

import org.eclipse.microprofile.config.Config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a node needs to start, read from MicroProfile Config ({@code latchkey.*} keys;
 * each can also be set as a system property or an environment variable by MP rules, e.g.
 * {@code LATCHKEY_CLUSTER_PEERS}) and checked once at start: a bad value stops the node
 * with a message naming the key.
 *
 * @param nodeId   0 when not configured (a single node picks one at first start)
 * @param clusterId 0 when not configured; a node joining a running cluster needs it
 * @param peerUrl  how other members reach this node's peer listener
 * @param clientUrl how clients reach this node's API
 * @param peerSecret the shared secret peers send each other, or empty
 * @param peerTls   PEM files for mutual TLS on the peer listener and towards peers, if enabled
 * @param storageIoTimeout how long one database call (connect, login, statement, answer) may hang
 * @param leaseMarginTicks 0 for Raft's default ({@code 1 + electionTicks / 10}), else 1 to electionTicks - 1
 * @param leadershipHandoverWait how long a stopping leader waits for a voter to take over; zero skips the handover
 * @param idempotencyTtl how long a write's idempotency key is remembered, by the leader's lease clock
 * @param stateHashIntervalEntries the state is hashed at every applied index that is a multiple of this; 0: never
 * @param stateHashCheckPeriod how often this member compares its state hashes with the other members'
 */
public record NodeSettings(
        Path dataDir,
        long nodeId,
        long clusterId,
        String host,
        int clientPort,
        int peerPort,
        String peerUrl,
        String clientUrl,
        String peers,
        String peerSecret,
        Optional<PeerTls> peerTls,
        Optional<KubernetesSettings> kubernetes,
        String jdbcUrl,
        String storageSchema,
        String storageUser,
        String storagePassword,
        Duration tickInterval,
        int electionTicks,
        int heartbeatTicks,
        int leaseMarginTicks,
        long snapshotEntries,
        boolean asyncStorageWrites,
        Duration storageIoTimeout,
        Duration leadershipHandoverWait,
        Duration idempotencyTtl,
        long stateHashIntervalEntries,
        Duration stateHashCheckPeriod) {

    /** Where a pod of a StatefulSet finds its siblings. */
    public record KubernetesSettings(String podName, String namespace, String serviceName, int replicas, String clusterDomain) {
    }

    /**
     * Mutual TLS between members ({@code latchkey.peer.tls.*}): this node's certificate chain and
     * private key (PEM, PKCS#8 or PKCS#1), and the CA whose certificates peers must present. The
     * same files configure the named socket {@code raft} (see {@link PeerTlsConfigSource}) and
     * the client side of the peer transport.
     */
    public record PeerTls(Path certChain, Path privateKey, Path trustedCa) {
    }

    /** Helidon's TLS settings of the client port (the default socket). */
    static final String CLIENT_TLS_ENABLED = "server.tls.enabled";
    static final String CLIENT_TLS_PRIVATE_KEY = "server.tls.private-key.";
    public static final String PEER_TLS_ENABLED = "latchkey.peer.tls.enabled";
    public static final String PEER_TLS_CERT_CHAIN = "latchkey.peer.tls.cert-chain";
    public static final String PEER_TLS_PRIVATE_KEY = "latchkey.peer.tls.private-key";
    public static final String PEER_TLS_TRUSTED_CA = "latchkey.peer.tls.trusted-ca";

    public static final int TICK_MILLIS_MIN = 10;
    public static final int TICK_MILLIS_MAX = 10_000;

    public static NodeSettings from(Config config) {
        Path dataDir = Path.of(string(config, "latchkey.data-dir", "data"));
        long nodeId = parseId("latchkey.node-id", string(config, "latchkey.node-id", ""));
        long clusterId = parseId("latchkey.cluster.id", string(config, "latchkey.cluster.id", ""));
        String host = string(config, "server.host", "127.0.0.1");
        int clientPort = port(config, "server.port", 8080);
        int peerPort = port(config, "latchkey.peer-port", 7080);
        String advertised = "0.0.0.0".equals(host) ? "127.0.0.1" : host;

        Optional<KubernetesSettings> kubernetes = Optional.empty();
        String podName = string(config, "latchkey.k8s.pod-name", "");
        if (!podName.isEmpty()) {
            kubernetes = Optional.of(new KubernetesSettings(podName,
                    required(config, "latchkey.k8s.namespace"),
                    required(config, "latchkey.k8s.service-name"),
                    positive(config, "latchkey.k8s.replicas", 3),
                    string(config, "latchkey.k8s.cluster-domain", "cluster.local")));
            KubernetesSettings k = kubernetes.get();
            advertised = podName + "." + k.serviceName() + "." + k.namespace() + ".svc." + k.clusterDomain();
        }
        Optional<PeerTls> peerTls = peerTls(config);
        String peerScheme = peerTls.isPresent() ? "https" : "http";
        String peerUrl = string(config, "latchkey.peer-url", peerScheme + "://" + advertised + ":" + peerPort);
        if (!peerUrl.startsWith(peerScheme + "://")) {
            throw new IllegalArgumentException("latchkey.peer-url must start with " + peerScheme + ":// when "
                    + PEER_TLS_ENABLED + " is " + peerTls.isPresent() + ", got '" + peerUrl + "'");
        }
        String clientScheme = clientTls(config) ? "https" : "http";
        String clientUrl = string(config, "latchkey.client-url", clientScheme + "://" + advertised + ":" + clientPort);
        if (!clientUrl.startsWith(clientScheme + "://")) {
            throw new IllegalArgumentException("latchkey.client-url must start with " + clientScheme + ":// when the client port"
                    + (clientScheme.equals("https") ? " serves TLS (server.tls.*)" : " has no TLS") + ", got '" + clientUrl + "'");
        }

        String schema = string(config, "latchkey.storage.schema", "latchkey");
        if (!schema.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("latchkey.storage.schema '" + schema
                    + "' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)");
        }
        int tickMillis = positive(config, "latchkey.raft.tick-interval-millis", 100);
        if (tickMillis < TICK_MILLIS_MIN || tickMillis > TICK_MILLIS_MAX) {
            throw new IllegalArgumentException("latchkey.raft.tick-interval-millis must be between "
                    + TICK_MILLIS_MIN + " and " + TICK_MILLIS_MAX);
        }
        int electionTicks = positive(config, "latchkey.raft.election-ticks", 10);
        int heartbeatTicks = positive(config, "latchkey.raft.heartbeat-ticks", 1);
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("latchkey.raft.election-ticks must be greater than latchkey.raft.heartbeat-ticks");
        }
        int leaseMarginTicks = integer(config, "latchkey.raft.lease-margin-ticks", 0);
        if (leaseMarginTicks != 0 && (leaseMarginTicks < 1 || leaseMarginTicks >= electionTicks)) {
            throw new IllegalArgumentException("latchkey.raft.lease-margin-ticks must be between 1 and latchkey.raft.election-ticks - 1 ("
                    + (electionTicks - 1) + "), or 0 for the default, got " + leaseMarginTicks);
        }
        return new NodeSettings(dataDir, nodeId, clusterId, host, clientPort, peerPort, peerUrl, clientUrl,
                string(config, "latchkey.cluster.peers", ""),
                string(config, "latchkey.peer.secret", ""),
                peerTls,
                kubernetes,
                string(config, "latchkey.storage.jdbc-url", ""),
                schema,
                string(config, "latchkey.storage.user", ""),
                string(config, "latchkey.storage.password", ""),
                Duration.ofMillis(tickMillis), electionTicks, heartbeatTicks, leaseMarginTicks,
                positive(config, "latchkey.raft.snapshot-entries", 10_000),
                bool(config, "latchkey.raft.async-storage-writes", true),
                Duration.ofSeconds(positive(config, "latchkey.storage.io-timeout-seconds", 15)),
                Duration.ofMillis(notNegative(config, "latchkey.shutdown.leadership-handover-millis", 2_000)),
                Duration.ofSeconds(positive(config, "latchkey.state.idempotency-ttl-seconds", 24 * 60 * 60)),
                notNegative(config, "latchkey.state.hash-check-interval-entries", 10_000),
                Duration.ofSeconds(positive(config, "latchkey.state.hash-check-period-seconds", 60)));
    }

    /**
     * Whether the client port serves TLS: Helidon turns {@code server.tls} on when its private key
     * is configured, unless {@code server.tls.enabled} is false.
     */
    private static boolean clientTls(Config config) {
        boolean keyed = false;
        for (String name : config.getPropertyNames()) {
            keyed |= name.startsWith(CLIENT_TLS_PRIVATE_KEY);
        }
        return bool(config, CLIENT_TLS_ENABLED, keyed);
    }

    /**
     * The switch is explicit, not implied by the paths, because {@link PeerTlsConfigSource} turns
     * on the peer socket's TLS from it alone, before the paths can be resolved.
     */
    private static Optional<PeerTls> peerTls(Config config) {
        boolean enabled = bool(config, PEER_TLS_ENABLED, false);
        if (enabled && !bool(config, PeerTlsConfigSource.SOCKET_TLS_ENABLED, false)) {
            throw new IllegalArgumentException(PEER_TLS_ENABLED + " must be set as an environment variable"
                    + " (LATCHKEY_PEER_TLS_ENABLED) or a system property: the peer listener's TLS is configured"
                    + " from it before other config sources are read");
        }
        String[] keys = {PEER_TLS_CERT_CHAIN, PEER_TLS_PRIVATE_KEY, PEER_TLS_TRUSTED_CA};
        Path[] files = new Path[keys.length];
        for (int i = 0; i < keys.length; i++) {
            String value = string(config, keys[i], "");
            if (value.isEmpty()) {
                if (enabled) {
                    throw new IllegalArgumentException(keys[i] + " must name a PEM file when " + PEER_TLS_ENABLED + " is true");
                }
                continue;
            }
            if (!enabled) {
                throw new IllegalArgumentException(keys[i] + " is set but " + PEER_TLS_ENABLED
                        + " is not true: set it, or the peer listener stays in cleartext");
            }
            files[i] = Path.of(value);
            if (!Files.isReadable(files[i])) {
                throw new IllegalArgumentException(keys[i] + " " + value + " is not a readable file");
            }
        }
        return enabled ? Optional.of(new PeerTls(files[0], files[1], files[2])) : Optional.empty();
    }

    private static String string(Config config, String key, String fallback) {
        return config.getOptionalValue(key, String.class).map(String::strip).orElse(fallback);
    }

    private static String required(Config config, String key) {
        String value = string(config, key, "");
        if (value.isEmpty()) {
            throw new IllegalArgumentException(key + " must be set in StatefulSet mode (latchkey.k8s.pod-name is set)");
        }
        return value;
    }

    private static boolean bool(Config config, String key, boolean fallback) {
        String text = string(config, key, "");
        if (text.isEmpty()) {
            return fallback;
        }
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got '" + text + "'");
        }
        return Boolean.parseBoolean(text);
    }

    private static int port(Config config, String key, int fallback) {
        int value = integer(config, key, fallback);
        if (value < 0 || value > 65_535) {
            throw new IllegalArgumentException(key + " must be a port number (0-65535), got " + value);
        }
        return value;
    }

    private static int positive(Config config, String key, int fallback) {
        int value = integer(config, key, fallback);
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
        return value;
    }

    private static int notNegative(Config config, String key, int fallback) {
        int value = integer(config, key, fallback);
        if (value < 0) {
            throw new IllegalArgumentException(key + " must be zero or more, got " + value);
        }
        return value;
    }

    private static int integer(Config config, String key, int fallback) {
        String text = string(config, key, "");
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + text + "'");
        }
    }

    private static long parseId(String key, String text) {
        if (text.isEmpty()) {
            return 0;
        }
        long id;
        try {
            id = Long.parseUnsignedLong(text, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a hexadecimal id, got '" + text + "'");
        }
        if (id == 0) {
            throw new IllegalArgumentException(key + " 0 is reserved");
        }
        return id;
    }
}
