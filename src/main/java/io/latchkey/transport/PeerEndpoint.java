package io.latchkey.transport;

import com.google.protobuf.CodedInputStream;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.WriteStage;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Receiving side of the peer protocol, a Helidon {@link HttpService} to register under
 * {@link PeerHeaders#ROUTE_PREFIX} on the peer listener:
 * <ul>
 *   <li>{@code POST /raft/messages}: body = length-delimited {@code Message}s, delivered in order,
 *       and in the order of the requests when the sender numbers them ({@link PeerHeaders#CONNECTION},
 *       {@link PeerHeaders#SEQUENCE}; see {@link RequestOrder});</li>
 *   <li>{@code POST /raft/snapshot}: body = one length-delimited {@code MsgSnap} whose snapshot data
 *       is empty, then the snapshot bytes framed by {@link SnapshotChunks}.</li>
 * </ul>
 * Every request must authenticate (client certificate under mutual TLS, which must also name the
 * host of the sender's peer URL, see {@link PeerIdentity}; the shared secret in
 * {@link PeerHeaders#PEER_SECRET} when one is configured) and carry our cluster id; otherwise it
 * is refused without reading the body and counted in {@link #refusedRequests()}; under mutual
 * TLS a message whose {@code from} is not the request's sender is refused with 403. A message
 * addressed to another node stops the request with 421 and counts in {@link #rejectedMessages()}:
 * the sender's address book is wrong and should hear about it.
 *
 * <p>Answers: 204 done, 400 malformed body or a message over {@code messageBytesMax}, 401 not
 * authenticated, 403 other cluster or another member's identity, 409 request of a sender's connection that a newer one
 * replaced, 421 wrong node, 500 snapshot not stored (including one over
 * {@code snapshotBytesMax}), 503 replica not started yet, or the requests before this one never
 * came.
 *
 * <p>Hosting it under Helidon MP (the CDI producer is not part of this package): the instance
 * must be {@link Http2PeerTransport#endpoint()} of the transport handed to the replica, since
 * {@code start(listener)} attaches the listener to it. A small {@code @ApplicationScoped}
 * {@code HttpService} bean annotated {@code @RoutingName(value = "raft", required = true)} and
 * {@code @RoutingPath("/raft")} can delegate {@code routing(rules)} to it. The named socket needs
 * {@code server.sockets.N.name=raft}, {@code port=7080}, {@code connection-options.tcp-no-delay=true}
 * and {@code helidon-webserver-http2} on the classpath (h2c with prior knowledge then works). With
 * mutual TLS, configure the socket's {@code tls} with the same PEM files and
 * {@code client-auth: OPTIONAL}: this endpoint refuses (and counts) requests without a certificate.
 */
public final class PeerEndpoint implements HttpService {
    private final PeerTransportConfig config;
    /** How much of a refused request's body is read before answering. */
    private static final long REFUSED_BODY_BYTES_MAX = 64 * 1024;

    private final SnapshotStreams snapshots;
    private final byte[] secretDigest;
    private final LongAdder refusedRequests = new LongAdder();
    private final LongAdder rejectedMessages = new LongAdder();
    private final LongAdder deliveredBatches = new LongAdder();
    private final RequestOrder requestOrder;
    private volatile PeerTransport.Listener listener;
    private volatile WriteStage.Timer stageTimer = WriteStage.Timer.NONE;
    /** Told the sender's id and {@link PeerHeaders#FROM_URL} of every admitted request. */
    private final java.util.function.BiConsumer<Long, String> senderUrls;
    /** The peer URL this node has for a member id, or null: whose host a peer's certificate must name. */
    private final java.util.function.LongFunction<java.net.URI> memberUrls;

    public PeerEndpoint(PeerTransportConfig config, SnapshotStreams snapshots) {
        this(config, snapshots, (id, url) -> {
        }, id -> null);
    }

    PeerEndpoint(PeerTransportConfig config, SnapshotStreams snapshots, java.util.function.BiConsumer<Long, String> senderUrls,
                 java.util.function.LongFunction<java.net.URI> memberUrls) {
        this.config = config;
        this.snapshots = snapshots;
        this.senderUrls = senderUrls;
        this.memberUrls = memberUrls;
        this.secretDigest = config.usesSharedSecret() ? sha256(config.sharedSecret()) : null;
        this.requestOrder = new RequestOrder(config.requestTimeoutMillis());
    }

    /** Starts delivering; before this, requests get 503 so that senders back off and retry. */
    void attach(PeerTransport.Listener listener) {
        this.listener = listener;
    }

    void setStageTimer(WriteStage.Timer timer) {
        this.stageTimer = timer;
    }

    /** Requests refused for missing or wrong credentials or a foreign cluster id (for metrics). */
    public long refusedRequests() {
        return refusedRequests.sum();
    }

    /** Messages refused because their {@code to} is not this node (for metrics). */
    public long rejectedMessages() {
        return rejectedMessages.sum();
    }

    /** Message batches fully delivered to the replica (for metrics and the benchmark). */
    public long deliveredBatches() {
        return deliveredBatches.sum();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post(PeerHeaders.MESSAGES_PATH, this::messages)
                .post(PeerHeaders.SNAPSHOT_PATH, this::snapshot);
    }

    /**
     * Reads the whole body before waiting for the request's turn (see {@link RequestOrder}): a
     * request parked with unread data would hold the connection's flow-control window, which
     * the request it waits for may need. The messages before a malformed or misdirected one are
     * delivered, as they would have been had they come alone, and the request's turn is used up
     * either way so that the sender's later requests do not wait for it.
     */
    private void messages(ServerRequest request, ServerResponse response) throws IOException {
        long started = System.nanoTime();
        PeerTransport.Listener target = admit(request, response);
        if (target == null) {
            return;
        }
        // Under mutual TLS admit() bound the FROM id to the certificate; the messages must be its.
        long sender = config.tls() == null ? 0 : PeerIdentity.senderId(request.headers().first(PeerHeaders.FROM).orElse(null));
        List<Message> messages = new ArrayList<>();
        Status refusal = null;
        String reason = null;
        InputStream body = request.content().inputStream();
        while (true) {
            Message message;
            try {
                message = readDelimited(body);
            } catch (IOException e) {
                refusal = Status.BAD_REQUEST_400;
                reason = e.getMessage();
                break;
            }
            if (message == null) {
                break;
            }
            if (message.getTo() != config.localNodeId()) {
                rejectedMessages.increment();
                refusal = Status.MISDIRECTED_REQUEST_421;
                reason = "message for %x reached %x".formatted(message.getTo(), config.localNodeId());
                break;
            }
            if (sender != 0 && message.getFrom() != sender) {
                rejectedMessages.increment();
                refusal = Status.FORBIDDEN_403;
                reason = "message from %x in a request of %x".formatted(message.getFrom(), sender);
                break;
            }
            messages.add(message);
        }
        Runnable deliver = () -> messages.forEach(target::received);
        RequestOrder.Turn turn = inOrder(request, deliver);
        if (turn == RequestOrder.Turn.SUPERSEDED) {
            response.status(Status.CONFLICT_409).send("superseded by a newer connection of the sender");
        } else if (turn == RequestOrder.Turn.TIMED_OUT) {
            response.status(Status.SERVICE_UNAVAILABLE_503).send("earlier requests of the connection did not arrive");
        } else if (refusal != null) {
            response.status(refusal).send(reason);
        } else {
            stageTimer.record(WriteStage.PEER_DELIVER, System.nanoTime() - started);
            deliveredBatches.increment();
            response.status(Status.NO_CONTENT_204).send();
        }
    }

    /** Runs the delivery in the sender's order; a request without numbering (or sender) runs at once. */
    private RequestOrder.Turn inOrder(ServerRequest request, Runnable deliver) throws IOException {
        var from = request.headers().first(PeerHeaders.FROM);
        var connection = request.headers().first(PeerHeaders.CONNECTION);
        var sequence = request.headers().first(PeerHeaders.SEQUENCE);
        if (from.isEmpty() || connection.isEmpty() || sequence.isEmpty()) {
            deliver.run();
            return RequestOrder.Turn.RAN;
        }
        String value = connection.get();
        int dot = value.lastIndexOf('.');
        long fromId;
        long connectionNumber;
        long sequenceNumber;
        try {
            fromId = Long.parseUnsignedLong(from.get(), 16);
            connectionNumber = Long.parseLong(value.substring(dot + 1));
            sequenceNumber = Long.parseLong(sequence.get());
        } catch (NumberFormatException e) {
            deliver.run();
            return RequestOrder.Turn.RAN;
        }
        try {
            return requestOrder.inTurn(fromId, value.substring(0, Math.max(0, dot)), connectionNumber,
                    sequenceNumber, deliver);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the request's turn", e);
        }
    }

    private void snapshot(ServerRequest request, ServerResponse response) throws IOException {
        PeerTransport.Listener target = admit(request, response);
        if (target == null) {
            return;
        }
        InputStream body = request.content().inputStream();
        Message header;
        try {
            header = readDelimited(body);
        } catch (IOException e) {
            response.status(Status.BAD_REQUEST_400).send(e.getMessage());
            return;
        }
        if (header == null || header.getType() != MessageType.MsgSnap) {
            response.status(Status.BAD_REQUEST_400).send("snapshot request must start with a MsgSnap");
            return;
        }
        if (!addressedHere(header, response)) {
            return;
        }
        long sender = config.tls() == null ? 0 : PeerIdentity.senderId(request.headers().first(PeerHeaders.FROM).orElse(null));
        if (sender != 0 && header.getFrom() != sender) {
            rejectedMessages.increment();
            response.status(Status.FORBIDDEN_403).send("snapshot from %x in a request of %x".formatted(header.getFrom(), sender));
            return;
        }
        SnapshotChunks.Reader data = new SnapshotChunks.Reader(body, config.messageBytesMax(), config.snapshotBytesMax());
        Message stored;
        try {
            stored = snapshots.receive(header, data);
        } catch (IOException e) {
            response.status(Status.INTERNAL_SERVER_ERROR_500).send("snapshot not stored: " + e.getMessage());
            return;
        }
        // A store that returned early would hand Raft a snapshot it never fully received.
        if (data.read() >= 0 || !data.ended()) {
            response.status(Status.INTERNAL_SERVER_ERROR_500).send("snapshot store stopped before the end");
            return;
        }
        target.received(stored);
        response.status(Status.NO_CONTENT_204).send();
    }

    /**
     * Reads and drops up to {@link #REFUSED_BODY_BYTES_MAX} of a refused request's body. Helidon's
     * HTTP/2 server sometimes leaves the response to a stream whose body was never read
     * undelivered (the client times out); reading a small body first avoids that, while a
     * refused peer still cannot make us read much.
     */
    private static void discardSmallBody(ServerRequest request) {
        try (InputStream body = request.content().inputStream()) {
            long skipped = 0;
            byte[] buffer = new byte[8192];
            int n;
            while (skipped < REFUSED_BODY_BYTES_MAX && (n = body.read(buffer)) > 0) {
                skipped += n;
            }
        } catch (IOException | RuntimeException e) {
            // The answer goes out regardless; the body is of no interest.
        }
    }

    /** Returns the listener to deliver to, or null after answering a request that must not proceed. */
    private PeerTransport.Listener admit(ServerRequest request, ServerResponse response) {
        if (!authenticated(request)) {
            refusedRequests.increment();
            discardSmallBody(request);
            response.status(Status.UNAUTHORIZED_401).send();
            return null;
        }
        String cluster = request.headers().first(PeerHeaders.CLUSTER_ID).orElse("");
        if (!cluster.equals(config.clusterId())) {
            refusedRequests.increment();
            discardSmallBody(request);
            response.status(Status.FORBIDDEN_403).send("cluster id mismatch");
            return null;
        }
        String impostor = config.tls() == null ? null : PeerIdentity.mismatch(
                (java.security.cert.X509Certificate) request.remotePeer().tlsCertificates().orElseThrow()[0],
                request.headers().first(PeerHeaders.FROM).orElse(null),
                request.headers().first(PeerHeaders.FROM_URL).orElse(null), memberUrls);
        if (impostor != null) {
            refusedRequests.increment();
            discardSmallBody(request);
            response.status(Status.FORBIDDEN_403).send(impostor);
            return null;
        }
        PeerTransport.Listener target = listener;
        if (target == null) {
            response.status(Status.SERVICE_UNAVAILABLE_503).send("replica not started");
            return null;
        }
        learnSender(request);
        return target;
    }

    private void learnSender(ServerRequest request) {
        var from = request.headers().first(PeerHeaders.FROM);
        var url = request.headers().first(PeerHeaders.FROM_URL);
        if (from.isEmpty() || url.isEmpty()) {
            return;
        }
        try {
            senderUrls.accept(Long.parseUnsignedLong(from.get(), 16), url.get());
        } catch (NumberFormatException e) {
            // FROM is informational; a malformed one teaches nothing.
        }
    }

    private boolean authenticated(ServerRequest request) {
        if (config.tls() != null) {
            boolean certified = request.isSecure() && request.remotePeer().tlsCertificates()
                    .map(certificates -> certificates.length > 0).orElse(false);
            if (!certified) {
                return false;
            }
        }
        if (secretDigest == null) {
            return true;
        }
        // Comparing digests keeps the check constant-time whatever length the caller sends.
        return request.headers().first(PeerHeaders.PEER_SECRET)
                .map(offered -> MessageDigest.isEqual(secretDigest, sha256(offered)))
                .orElse(false);
    }

    private boolean addressedHere(Message message, ServerResponse response) {
        if (message.getTo() == config.localNodeId()) {
            return true;
        }
        rejectedMessages.increment();
        response.status(Status.MISDIRECTED_REQUEST_421)
                .send("message for %x reached %x".formatted(message.getTo(), config.localNodeId()));
        return false;
    }

    /** Reads one length-delimited message, or null at a clean end of the body. */
    private Message readDelimited(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int size = CodedInputStream.readRawVarint32(first, in);
        // Checked before parsing so that a bogus length cannot make us buffer gigabytes.
        if (size < 0 || size > config.messageBytesMax()) {
            throw new IOException("message of " + size + " bytes, limit " + config.messageBytesMax());
        }
        byte[] bytes = in.readNBytes(size);
        if (bytes.length < size) {
            throw new IOException("body ended inside a message");
        }
        return Message.parseFrom(bytes);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
