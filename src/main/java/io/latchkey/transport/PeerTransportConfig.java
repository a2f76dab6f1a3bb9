package io.latchkey.transport;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the peer transport, validated when built so that a bad value fails the service
 * at start rather than at the first message.
 *
 * @param localNodeId              Raft id of this replica; incoming messages must be addressed to it
 * @param clusterId                identifies the cluster; sent and checked on every request
 * @param listenHost               interface of the peer listener
 * @param listenPort               port of the peer listener (0 picks a free port, for tests)
 * @param sharedSecret             cluster secret sent in {@link PeerHeaders#PEER_SECRET}, or null when
 *                                 {@code tls} authenticates peers
 * @param tls                      PEM files for mutual TLS, or null for cleartext h2c
 * @param queueMessagesMax         messages waiting for one peer before new ones are dropped
 * @param queueBytesMax            serialized bytes waiting for one peer before new ones are dropped
 * @param batchBytesMax            bytes of messages written to a peer's stream at once (a larger
 *                                 single message still goes alone)
 * @param messageBytesMax          largest single serialized message accepted for sending or receiving
 * @param snapshotChunkBytes       bytes per chunk of a streamed snapshot: the memory a transfer holds
 * @param snapshotBytesMax         largest snapshot the endpoint accepts
 * @param connectTimeoutMillis     TCP (and TLS) connect deadline
 * @param requestTimeoutMillis     silence of a peer we sent messages to before its connection is
 *                                 replaced (a live peer answers Raft's appends and heartbeats)
 * @param snapshotTimeoutMillis    wait for the answer after a snapshot was fully streamed (the
 *                                 receiver stores it first)
 * @param flowControlStallMillisMax wait for the peer to reopen an exhausted HTTP/2 send window
 *                                 before the stream fails and the connection is replaced
 * @param reconnectBackoffMillisMin first pause after a failed stream
 * @param reconnectBackoffMillisMax pause ceiling; each further failure doubles the pause
 * @param advertisedPeerUrl        this node's peer URL as its peers know it, sent in
 *                                 {@link PeerHeaders#FROM_URL} so that a node that does not know
 *                                 the sender yet (a joining learner) can answer it; null sends none
 */
public record PeerTransportConfig(
        long localNodeId,
        String clusterId,
        String listenHost,
        int listenPort,
        String sharedSecret,
        TlsFiles tls,
        int queueMessagesMax,
        long queueBytesMax,
        int batchBytesMax,
        int messageBytesMax,
        int snapshotChunkBytes,
        long snapshotBytesMax,
        long connectTimeoutMillis,
        long requestTimeoutMillis,
        long snapshotTimeoutMillis,
        long flowControlStallMillisMax,
        long reconnectBackoffMillisMin,
        long reconnectBackoffMillisMax,
        String advertisedPeerUrl) {

    /** The peer port of the issue: peers never share the client API port. */
    public static final int LISTEN_PORT_DEFAULT = 7080;
    /** A short secret is guessable; 16 characters of a random token is the floor. */
    public static final int SHARED_SECRET_LENGTH_MIN = 16;

    /**
     * PEM files for mutual TLS: this node's certificate chain and private key, and the CA that
     * signed every peer's certificate (the listener requires a client certificate from it).
     */
    public record TlsFiles(Path certChainPem, Path privateKeyPem, Path trustedCaPem) {
        public TlsFiles {
            Objects.requireNonNull(certChainPem, "certChainPem");
            Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            Objects.requireNonNull(trustedCaPem, "trustedCaPem");
        }
    }

    public PeerTransportConfig {
        validate(localNodeId, clusterId, listenHost, listenPort, sharedSecret, tls, queueMessagesMax,
                queueBytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes, snapshotBytesMax,
                connectTimeoutMillis, requestTimeoutMillis, snapshotTimeoutMillis, flowControlStallMillisMax,
                reconnectBackoffMillisMin, reconnectBackoffMillisMax);
    }

    /**
     * Defaults sized for a LAN cluster: 4096 messages / 64 MiB per peer, 1 MiB batches, 8 MiB
     * messages, 64 KiB snapshot chunks, 2 s connect, 5 s of silence, 60 s snapshot answer, 1 s
     * flow-control stall (about one election timeout), backoff 50 ms doubling to 2 s,
     * listening on 0.0.0.0:7080 in cleartext with the secret.
     */
    public static PeerTransportConfig defaults(long localNodeId, String clusterId, String sharedSecret) {
        return defaults(localNodeId, clusterId, sharedSecret, null);
    }

    /** The same defaults with mutual TLS; {@code sharedSecret} may then be null (certificates alone). */
    public static PeerTransportConfig defaults(long localNodeId, String clusterId, String sharedSecret,
                                               TlsFiles tls) {
        return new PeerTransportConfig(localNodeId, clusterId, "0.0.0.0", LISTEN_PORT_DEFAULT,
                sharedSecret, tls,
                4096, 64L << 20, 1 << 20, 8 << 20,
                64 << 10, 64L << 30,
                2_000, 5_000, 60_000, 1_000,
                50, 2_000, null);
    }

    public PeerTransportConfig withListen(String host, int port) {
        return new PeerTransportConfig(localNodeId, clusterId, host, port, sharedSecret, tls,
                queueMessagesMax, queueBytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes,
                snapshotBytesMax, connectTimeoutMillis, requestTimeoutMillis, snapshotTimeoutMillis,
                flowControlStallMillisMax, reconnectBackoffMillisMin, reconnectBackoffMillisMax, advertisedPeerUrl);
    }

    public PeerTransportConfig withQueueLimits(int messagesMax, long bytesMax) {
        return new PeerTransportConfig(localNodeId, clusterId, listenHost, listenPort, sharedSecret, tls,
                messagesMax, bytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes,
                snapshotBytesMax, connectTimeoutMillis, requestTimeoutMillis, snapshotTimeoutMillis,
                flowControlStallMillisMax, reconnectBackoffMillisMin, reconnectBackoffMillisMax, advertisedPeerUrl);
    }

    public PeerTransportConfig withTimeouts(long connectMillis, long requestMillis, long snapshotMillis) {
        return new PeerTransportConfig(localNodeId, clusterId, listenHost, listenPort, sharedSecret, tls,
                queueMessagesMax, queueBytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes,
                snapshotBytesMax, connectMillis, requestMillis, snapshotMillis,
                flowControlStallMillisMax, reconnectBackoffMillisMin, reconnectBackoffMillisMax, advertisedPeerUrl);
    }

    public PeerTransportConfig withReconnectBackoff(long millisMin, long millisMax) {
        return new PeerTransportConfig(localNodeId, clusterId, listenHost, listenPort, sharedSecret, tls,
                queueMessagesMax, queueBytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes,
                snapshotBytesMax, connectTimeoutMillis, requestTimeoutMillis, snapshotTimeoutMillis,
                flowControlStallMillisMax, millisMin, millisMax, advertisedPeerUrl);
    }

    public PeerTransportConfig withAdvertisedPeerUrl(String peerUrl) {
        return new PeerTransportConfig(localNodeId, clusterId, listenHost, listenPort, sharedSecret, tls,
                queueMessagesMax, queueBytesMax, batchBytesMax, messageBytesMax, snapshotChunkBytes,
                snapshotBytesMax, connectTimeoutMillis, requestTimeoutMillis, snapshotTimeoutMillis,
                flowControlStallMillisMax, reconnectBackoffMillisMin, reconnectBackoffMillisMax, peerUrl);
    }

    /** True when peers authenticate by the secret header rather than (or besides) mutual TLS. */
    public boolean usesSharedSecret() {
        return sharedSecret != null;
    }

    @Override
    public String toString() {
        // The secret must never reach a log line.
        return "PeerTransportConfig[localNodeId=%x, clusterId=%s, listen=%s:%d, sharedSecret=%s, tls=%s, "
                .formatted(localNodeId, clusterId, listenHost, listenPort,
                        sharedSecret == null ? "none" : "***", tls)
                + "queueMessagesMax=%d, queueBytesMax=%d, batchBytesMax=%d, messageBytesMax=%d, "
                .formatted(queueMessagesMax, queueBytesMax, batchBytesMax, messageBytesMax)
                + "snapshotChunkBytes=%d, snapshotBytesMax=%d, connectTimeoutMillis=%d, requestTimeoutMillis=%d, "
                .formatted(snapshotChunkBytes, snapshotBytesMax, connectTimeoutMillis, requestTimeoutMillis)
                + "snapshotTimeoutMillis=%d, flowControlStallMillisMax=%d, reconnectBackoffMillisMin=%d, "
                .formatted(snapshotTimeoutMillis, flowControlStallMillisMax, reconnectBackoffMillisMin)
                + "reconnectBackoffMillisMax=%d, advertisedPeerUrl=%s]"
                .formatted(reconnectBackoffMillisMax, advertisedPeerUrl);
    }

    private static void validate(long localNodeId, String clusterId, String listenHost, int listenPort,
                                 String sharedSecret, TlsFiles tls, int queueMessagesMax, long queueBytesMax,
                                 int batchBytesMax, int messageBytesMax, int snapshotChunkBytes,
                                 long snapshotBytesMax, long connectTimeoutMillis, long requestTimeoutMillis,
                                 long snapshotTimeoutMillis, long flowControlStallMillisMax,
                                 long backoffMillisMin, long backoffMillisMax) {
        require(localNodeId != 0, "local node id must not be 0 (Raft's None)");
        require(clusterId != null && !clusterId.isBlank(), "cluster id must not be blank");
        require(listenHost != null && !listenHost.isBlank(), "listen host must not be blank");
        require(listenPort >= 0 && listenPort <= 65_535, "listen port must be within 0..65535");
        require(sharedSecret != null || tls != null,
                "peers must authenticate: configure mutual TLS or a shared secret");
        require(sharedSecret == null || sharedSecret.length() >= SHARED_SECRET_LENGTH_MIN,
                "shared secret must have at least " + SHARED_SECRET_LENGTH_MIN + " characters");
        require(queueMessagesMax > 0, "queue messages max must be positive");
        require(batchBytesMax > 0, "batch bytes max must be positive");
        require(messageBytesMax > 0, "message bytes max must be positive");
        require(queueBytesMax >= messageBytesMax, "queue bytes max must hold at least one largest message");
        require(queueBytesMax >= batchBytesMax, "queue bytes max must hold at least one batch");
        require(snapshotChunkBytes > 0 && snapshotChunkBytes <= messageBytesMax,
                "snapshot chunk bytes must be within 1..message bytes max");
        require(snapshotBytesMax > 0, "snapshot bytes max must be positive");
        require(connectTimeoutMillis > 0, "connect timeout must be positive");
        require(requestTimeoutMillis > 0, "request timeout must be positive");
        require(snapshotTimeoutMillis > 0, "snapshot timeout must be positive");
        require(flowControlStallMillisMax > 0, "flow control stall max must be positive");
        require(backoffMillisMin > 0, "reconnect backoff min must be positive");
        require(backoffMillisMax >= backoffMillisMin, "reconnect backoff max must not be below min");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
