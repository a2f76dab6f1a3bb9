package io.latchkey.transport;

import com.google.protobuf.CodedInputStream;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.StateHash;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Receiving side of the peer protocol, a Helidon {@link HttpService} to register under
 * {@link PeerHeaders#ROUTE_PREFIX} on the peer listener:
 * <ul>
 *   <li>{@code POST /raft/stream}: one per sender (header {@link PeerHeaders#FROM}), whose body
 *       is length-delimited {@code Message}s for as long as the sender lives; each is handed to
 *       the replica as it arrives;</li>
 *   <li>{@code POST /raft/snapshot}: body = one length-delimited {@code MsgSnap} whose snapshot data
 *       is empty, then the snapshot bytes framed by {@link SnapshotChunks} (ending with their
 *       SHA-256 when {@link PeerHeaders#SNAPSHOT_CHECKSUM} says so, checked before they are kept).
 *       Transfers are taken one at a time.</li>
 *   <li>{@code GET /raft/state-hashes}: this member's recent state hashes (200, text), for the
 *       corruption check of the other members; 503 until {@link #serveStateHashes} is called.</li>
 *   <li>{@code GET /raft/members/{id}}: the peer URL of a member of this node's applied
 *       configuration (200, text) or 404, for a member that is sent requests by an id it does
 *       not know (see {@link KnownPeers}).</li>
 * </ul>
 * Every request must authenticate (client certificate under mutual TLS; the shared secret in
 * {@link PeerHeaders#PEER_SECRET} when one is configured), carry our cluster id, and name in
 * {@link PeerHeaders#FROM} a sender this node admits ({@link KnownPeers}: a member of its
 * configuration, one vouched for by such a member, or the first contact of a node never
 * configured); under mutual TLS the certificate must also name the host of that sender's peer
 * URL ({@link PeerIdentity}). Otherwise the request is refused before its body is read, and
 * counted in {@link #refusedRequests()}. A message or snapshot whose {@code from} is not the
 * request's sender ends the request with 403. A message addressed to
 * another node ends its stream with 421 and counts in {@link #rejectedMessages()}: the sender's
 * address book is wrong and should hear about it.
 *
 * <p>Answers (a stream's only when it ends): 200 the state hashes, 204 done, 400 malformed
 * body or a message over {@code messageBytesMax}, 401 not authenticated, 403 other cluster,
 * a sender not admitted here, or another member's identity, 409 a stream a newer one of
 * the same sender replaced, 421 wrong node, 500 snapshot not stored (including one over
 * {@code snapshotBytesMax}), 503 replica not started yet (or its state hashes not available).
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
    private final ReentrantLock receiving = new ReentrantLock();
    private final byte[] secretDigest;
    private final LongAdder refusedRequests = new LongAdder();
    private final LongAdder rejectedMessages = new LongAdder();
    private final LongAdder deliveredMessages = new LongAdder();
    /** Each sender's live stream (an identity token); older streams of the sender deliver nothing. */
    private final Map<Long, Object> currentStreams = new ConcurrentHashMap<>();
    private volatile PeerTransport.Listener listener;
    private volatile Supplier<List<StateHash>> stateHashes;
    /** Who may send, at which peer URL. */
    private final KnownPeers known;
    /** Told the id and peer URL of an admitted sender that is not configured here, to answer it at. */
    private final BiConsumer<Long, URI> senderUrls;
    /** Told the id of a refused sender that is not known here, to ask the members about it. */
    private final LongConsumer unknownSenders;
    /** Told the sender's id of every message delivered: the sender is alive and reads us. */
    private final LongConsumer heardFrom;

    PeerEndpoint(PeerTransportConfig config, SnapshotStreams snapshots, KnownPeers known, BiConsumer<Long, URI> senderUrls,
                 LongConsumer unknownSenders, LongConsumer heardFrom) {
        this.config = config;
        this.snapshots = snapshots;
        this.known = known;
        this.senderUrls = senderUrls;
        this.unknownSenders = unknownSenders;
        this.heardFrom = heardFrom;
        this.secretDigest = config.usesSharedSecret() ? sha256(config.sharedSecret()) : null;
    }

    /** Starts delivering; before this, requests get 503 so that senders back off and retry. */
    void attach(PeerTransport.Listener listener) {
        this.listener = listener;
    }

    /** Starts answering {@code GET /raft/state-hashes} with what {@code hashes} returns at the time. */
    public void serveStateHashes(Supplier<List<StateHash>> hashes) {
        this.stateHashes = hashes;
    }

    /** Requests refused for missing or wrong credentials, a foreign cluster id, or a sender not admitted here (for metrics). */
    public long refusedRequests() {
        return refusedRequests.sum();
    }

    /** Messages refused because their {@code to} is not this node (for metrics). */
    public long rejectedMessages() {
        return rejectedMessages.sum();
    }

    /** Messages handed to the replica (for metrics and the benchmark). */
    public long deliveredMessages() {
        return deliveredMessages.sum();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post(PeerHeaders.STREAM_PATH, this::stream)
                .post(PeerHeaders.SNAPSHOT_PATH, this::snapshot)
                .get(PeerHeaders.STATE_HASHES_PATH, this::stateHashes)
                .get(PeerHeaders.MEMBERS_PATH + "/{id}", this::member);
    }

    /**
     * Whether a member id is in this node's applied configuration: 200 with its peer URL, or
     * 404. Asked by a member that was sent requests by an id it does not know (see
     * {@link KnownPeers}); only what this node applied is vouched for, never what it was told.
     */
    private void member(ServerRequest request, ServerResponse response) {
        if (admit(request, response, false) == null) {
            return;
        }
        long id = PeerIdentity.senderId(request.path().pathParameters().first("id").orElse(null));
        URI url = id == 0 ? null : known.configuredUrl(id);
        if (url == null) {
            response.status(Status.NOT_FOUND_404).send("not a member here");
            return;
        }
        response.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").send(url.toString());
    }

    /** Same admission as the Raft routes: only a member of this cluster may read them. */
    private void stateHashes(ServerRequest request, ServerResponse response) {
        if (admit(request, response, false) == null) {
            return;
        }
        Supplier<List<StateHash>> hashes = stateHashes;
        if (hashes == null) {
            response.status(Status.SERVICE_UNAVAILABLE_503).send("state hashes not served yet");
            return;
        }
        String text;
        try {
            text = StateHash.format(hashes.get());
        } catch (RuntimeException e) {
            // The replica's loop did not answer (stopping, or busy beyond the wait).
            response.status(Status.SERVICE_UNAVAILABLE_503).send("state hashes not available: " + e.getMessage());
            return;
        }
        response.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").send(text);
    }

    /**
     * A sender's message stream: messages are handed to the replica one by one as they arrive,
     * for as long as the sender keeps the request open. A sender has one live stream: once a
     * newer one of the same sender arrived, the older one delivers nothing more (it may be a
     * half-open connection the sender gave up), so the messages of two streams never interleave.
     * A malformed or misdirected message ends the stream; those before it were delivered, as
     * they would have been alone.
     */
    private void stream(ServerRequest request, ServerResponse response) throws IOException {
        // A sender's stream has no length and does not end: never wait for its body to refuse it.
        PeerTransport.Listener target = admit(request, response, request.headers().contentLength().isPresent());
        if (target == null) {
            return;
        }
        // admit() bound the FROM id to the credentials; the messages must be its.
        long from = PeerIdentity.senderId(request.headers().first(PeerHeaders.FROM).orElse(null));
        Object stream = new Object();
        currentStreams.put(from, stream);
        InputStream body = request.content().inputStream();
        while (true) {
            Message message;
            try {
                message = readDelimited(body);
            } catch (IOException e) {
                respondQuietly(response, Status.BAD_REQUEST_400, e.getMessage());
                return;
            }
            if (message == null) {
                break;
            }
            if (currentStreams.get(from) != stream) {
                respondQuietly(response, Status.CONFLICT_409, "superseded by a newer stream of the sender");
                return;
            }
            if (message.getTo() != config.localNodeId()) {
                rejectedMessages.increment();
                respondQuietly(response, Status.MISDIRECTED_REQUEST_421,
                        "message for %x reached %x".formatted(message.getTo(), config.localNodeId()));
                return;
            }
            if (message.getFrom() != from) {
                rejectedMessages.increment();
                respondQuietly(response, Status.FORBIDDEN_403,
                        "message from %x in a stream of %x".formatted(message.getFrom(), from));
                return;
            }
            // A stream lasts: the configuration may have removed its sender since it was admitted.
            if (!stillAdmitted(from)) {
                refusedRequests.increment();
                respondQuietly(response, Status.FORBIDDEN_403, "%x is no longer admitted here".formatted(from));
                return;
            }
            heardFrom.accept(from);
            target.received(message);
            deliveredMessages.increment();
        }
        currentStreams.remove(from, stream);
        response.status(Status.NO_CONTENT_204).send();
    }

    /** Ends a stream whose connection may be gone already (then there is nobody to tell). */
    private void respondQuietly(ServerResponse response, Status status, String reason) {
        try {
            response.status(status).send(reason);
        } catch (RuntimeException e) {
            System.getLogger(PeerEndpoint.class.getName()).log(System.Logger.Level.DEBUG,
                    "peer stream ended before its answer ({0}): {1}", status, e.toString());
        }
    }

    private void snapshot(ServerRequest request, ServerResponse response) throws IOException {
        PeerTransport.Listener target = admit(request, response, true);
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
        // admit() bound the FROM id to the credentials; the snapshot must be its.
        long sender = PeerIdentity.senderId(request.headers().first(PeerHeaders.FROM).orElse(null));
        if (header.getFrom() != sender) {
            rejectedMessages.increment();
            response.status(Status.FORBIDDEN_403).send("snapshot from %x in a request of %x".formatted(header.getFrom(), sender));
            return;
        }
        boolean checksummed = request.headers().first(PeerHeaders.SNAPSHOT_CHECKSUM)
                .map(SnapshotChunks.SHA256_TRAILER::equals).orElse(false);
        SnapshotChunks.Reader data = new SnapshotChunks.Reader(body, config.messageBytesMax(), config.snapshotBytesMax(),
                checksummed);
        // One transfer at a time, each delivered before the next is stored: SnapshotStreams.receive's contract.
        receiving.lock();
        try {
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
        } finally {
            receiving.unlock();
        }
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

    /**
     * Returns the listener to deliver to, or null after answering a request that must not
     * proceed; a refused request's body is first read (a little of it) when {@code discardBody}.
     */
    private PeerTransport.Listener admit(ServerRequest request, ServerResponse response, boolean discardBody) {
        if (!authenticated(request)) {
            refusedRequests.increment();
            if (discardBody) {
                discardSmallBody(request);
            }
            response.status(Status.UNAUTHORIZED_401).send();
            return null;
        }
        String cluster = request.headers().first(PeerHeaders.CLUSTER_ID).orElse("");
        if (!cluster.equals(config.clusterId())) {
            refusedRequests.increment();
            if (discardBody) {
                discardSmallBody(request);
            }
            response.status(Status.FORBIDDEN_403).send("cluster id mismatch");
            return null;
        }
        String impostor = identityMismatch(request);
        if (impostor != null) {
            refusedRequests.increment();
            if (discardBody) {
                discardSmallBody(request);
            }
            response.status(Status.FORBIDDEN_403).send(impostor);
            return null;
        }
        PeerTransport.Listener target = listener;
        if (target == null) {
            response.status(Status.SERVICE_UNAVAILABLE_503).send("replica not started");
            return null;
        }
        return target;
    }

    /**
     * Why the request's credentials do not belong to the sender it names, or null if they do
     * (see {@link KnownPeers} for who is admitted and why). The sender must be a member here (or
     * a first contact of a node never configured); under mutual TLS its certificate must also
     * name the host of the peer URL this node has for it. Members this node may answer but has
     * no sender for yet are learnt.
     */
    private String identityMismatch(ServerRequest request) {
        long from = PeerIdentity.senderId(request.headers().first(PeerHeaders.FROM).orElse(null));
        if (from == 0) {
            return "the request does not name its sender (" + PeerHeaders.FROM.defaultCase() + ")";
        }
        String sender = Long.toHexString(from);
        URI url;
        boolean learn;
        switch (known.standing(from)) {
            case KnownPeers.Standing.Member member -> {
                url = member.url();
                learn = member.vouched();
            }
            case KnownPeers.Standing.FirstContact first -> {
                url = advertisedUrl(request);
                if (url == null) {
                    return "member " + sender + " is not known here and advertises no valid peer URL ("
                            + PeerHeaders.FROM_URL.defaultCase() + ")";
                }
                learn = true;
            }
            case KnownPeers.Standing.Removed removed -> {
                return "member " + sender + " was removed from the configuration";
            }
            case KnownPeers.Standing.Unknown unknown -> {
                unknownSenders.accept(from);
                return sender + " is not a member of this node's configuration";
            }
        }
        if (config.tls() != null) {
            X509Certificate certificate = (X509Certificate) request.remotePeer().tlsCertificates().orElseThrow()[0];
            if (!PeerIdentity.names(certificate, url.getHost())) {
                return "the certificate does not name " + url.getHost() + ", the host of member " + sender + "'s peer URL";
            }
        }
        if (learn) {
            senderUrls.accept(from, url);
        }
        return null;
    }

    private boolean stillAdmitted(long from) {
        return switch (known.standing(from)) {
            case KnownPeers.Standing.Member member -> true;
            case KnownPeers.Standing.FirstContact first -> true;
            case KnownPeers.Standing.Removed removed -> false;
            case KnownPeers.Standing.Unknown unknown -> false;
        };
    }

    /** The sender's {@link PeerHeaders#FROM_URL} if it is an absolute URL of this transport's scheme, else null. */
    private URI advertisedUrl(ServerRequest request) {
        String text = request.headers().first(PeerHeaders.FROM_URL).orElse(null);
        if (text == null) {
            return null;
        }
        try {
            URI url = URI.create(text);
            String scheme = config.tls() != null ? "https" : "http";
            return scheme.equals(url.getScheme()) && url.getHost() != null ? url : null;
        } catch (IllegalArgumentException e) {
            return null;
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
        // Not readNBytes(size): once it has the bytes it asks for zero more, and Helidon's
        // request stream waits for more data then instead of answering 0, which on a stream
        // holds each message until the next one arrives.
        byte[] bytes = new byte[size];
        if (in.readNBytes(bytes, 0, size) < size) {
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
