package io.latchkey.transport;

import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.StateHash;
import io.latchkey.node.WriteStage;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link PeerTransport} over HTTP/2: one {@link PeerSender} (queue, connection, virtual thread)
 * per peer, and a {@link PeerEndpoint} for what peers send us.
 *
 * <p>Usage: {@code setPeer} for every other member, serve {@link #endpoint()} on the peer
 * listener (a {@link PeerServer}, or the MP named socket "raft"), then {@code start(listener)}.
 * Peer URLs are the listener's base, e.g. {@code http://node-2.latchkey-headless:7080}
 * ({@code https://} when TLS is configured).
 */
public final class Http2PeerTransport implements PeerTransport {
    /** How long close() waits for each sender thread after aborting its connection. */
    private static final Duration SENDER_STOP_TIMEOUT = Duration.ofSeconds(5);

    private static final Listener NOT_STARTED = new Listener() {
        @Override
        public void received(Message message) {
        }

        @Override
        public void unreachable(long peerId) {
        }

        @Override
        public void snapshotSent(long peerId, boolean delivered) {
        }
    };

    private final PeerTransportConfig config;
    private final SnapshotStreams snapshots;
    private final System.Logger logger;
    private final PeerEndpoint endpoint;
    private final Map<Long, PeerSender> senders = new ConcurrentHashMap<>();
    private final LongAdder droppedMessages = new LongAdder();
    private final Object membership = new Object();
    /** Peers removed by the configuration: never learned again from their own requests. */
    private final java.util.Set<Long> removedPeers = new java.util.HashSet<>();
    private volatile Listener listener = NOT_STARTED;
    private volatile WriteStage.Timer stageTimer = WriteStage.Timer.NONE;
    private volatile boolean closed;

    public Http2PeerTransport(PeerTransportConfig config, SnapshotStreams snapshots) {
        this(config, snapshots, System.getLogger(Http2PeerTransport.class.getName()));
    }

    public Http2PeerTransport(PeerTransportConfig config, SnapshotStreams snapshots, System.Logger logger) {
        this.config = config;
        this.snapshots = snapshots;
        this.logger = logger;
        this.endpoint = new PeerEndpoint(config, snapshots, this::learnPeer, this::peerUrl, this::heardFrom);
    }

    /** The receiving side, to register under {@link PeerHeaders#ROUTE_PREFIX} on the peer listener. */
    public PeerEndpoint endpoint() {
        return endpoint;
    }

    /** Messages dropped so far: queue overflow, unknown peer, oversized, or failed requests. */
    public long droppedMessages() {
        return droppedMessages.sum();
    }

    /** Where the transport's stage latencies go ({@link WriteStage#PEER_QUEUE}, {@link WriteStage#PEER_WRITE}). */
    public void setStageTimer(WriteStage.Timer timer) {
        this.stageTimer = timer;
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
        endpoint.attach(listener);
    }

    @Override
    public void send(List<Message> messages) {
        List<Long> unreachable = null;
        for (Message message : messages) {
            if (enqueue(message)) {
                continue;
            }
            droppedMessages.increment();
            long to = message.getTo();
            if (message.getType() == MessageType.MsgSnap) {
                listener.snapshotSent(to, false);
            }
            if (unreachable == null) {
                unreachable = new ArrayList<>(2);
            }
            if (!unreachable.contains(to)) {
                unreachable.add(to);
            }
        }
        if (unreachable != null) {
            // One report per peer per call, however many of its messages were dropped.
            for (long peerId : unreachable) {
                listener.unreachable(peerId);
            }
        }
    }

    private boolean enqueue(Message message) {
        PeerSender sender = senders.get(message.getTo());
        // The receiver would refuse an oversized message; dropping it here saves the round trip.
        return sender != null && message.getSerializedSize() <= config.messageBytesMax() && sender.offer(message);
    }

    /**
     * @throws IllegalArgumentException if {@code peerUrl} is not an absolute http(s) URL, or its
     *                                  scheme does not match whether TLS is configured
     */
    @Override
    public void setPeer(long id, String peerUrl) {
        URI url = peerUri(peerUrl);
        synchronized (membership) {
            if (closed) {
                return;
            }
            removedPeers.remove(id);
            PeerSender old = senders.get(id);
            if (old != null && old.url().equals(url)) {
                return;
            }
            PeerSender fresh = new PeerSender(id, url, config, snapshots, () -> listener, () -> stageTimer, droppedMessages, logger);
            fresh.start();
            senders.put(id, fresh);
            if (old != null) {
                stopAll(List.of(old));
            }
        }
    }

    @Override
    public void removePeer(long id) {
        synchronized (membership) {
            removedPeers.add(id);
            PeerSender sender = senders.remove(id);
            if (sender != null) {
                stopAll(List.of(sender));
            }
        }
    }

    /**
     * An authenticated request came from {@code id}, which says it listens at {@code peerUrl}.
     * Only a sender the configuration has not named (nor removed) is added this way: a learner
     * that joined with an empty log learns its peers from the log, but it must answer the leader
     * before it can receive that log. The configuration's URL replaces a learned one.
     */
    void learnPeer(long id, String peerUrl) {
        URI url;
        try {
            url = peerUri(peerUrl);
        } catch (IllegalArgumentException e) {
            return;
        }
        synchronized (membership) {
            if (closed || id == config.localNodeId() || senders.containsKey(id) || removedPeers.contains(id)) {
                return;
            }
            PeerSender learned = new PeerSender(id, url, config, snapshots, () -> listener, () -> stageTimer, droppedMessages, logger);
            learned.start();
            senders.put(id, learned);
        }
        logger.log(System.Logger.Level.INFO, "peer {0} at {1} learned from its request", Long.toHexString(id), url);
    }

    /**
     * The recent state hashes of member {@code id}, asked over a connection of their own (so
     * that the question never waits behind Raft traffic), with the peer credentials.
     *
     * @throws IOException if the member has no known URL, cannot be reached within
     *                     {@code timeout}, or answers anything but 200 with hashes
     */
    public List<StateHash> fetchStateHashes(long id, Duration timeout) throws IOException {
        URI url = peerUrl(id);
        if (url == null) {
            throw new IOException("no peer URL known for member " + Long.toHexString(id));
        }
        Http2Client client = PeerSender.newClient(url, config);
        try (Http2ClientResponse response = client.get(PeerHeaders.ROUTE_PREFIX + PeerHeaders.STATE_HASHES_PATH)
                .readTimeout(timeout).request()) {
            String body = response.as(String.class);
            if (response.status().code() != 200) {
                throw new IOException("member " + Long.toHexString(id) + " answered " + response.status() + ": " + body);
            }
            return StateHash.parse(body);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IOException("state hashes of member " + Long.toHexString(id) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Helidon reports connection failures unchecked.
            throw new IOException("member " + Long.toHexString(id) + " at " + url + " not reached: " + e, e);
        } finally {
            client.closeResource();
        }
    }

    /** A message of {@code id} arrived: our stream to it is read (see {@link PeerSender#heard()}). */
    private void heardFrom(long id) {
        PeerSender sender = senders.get(id);
        if (sender != null) {
            sender.heard();
        }
    }

    /** The URL this node sends to {@code id} at, or null if it has none. */
    private URI peerUrl(long id) {
        PeerSender sender = senders.get(id);
        return sender == null ? null : sender.url();
    }

    /** Stops every sender and aborts requests in flight; the peer listener is closed by its owner. */
    @Override
    public void close() {
        synchronized (membership) {
            closed = true;
            List<PeerSender> all = new ArrayList<>(senders.values());
            senders.clear();
            stopAll(all);
        }
    }

    private void stopAll(List<PeerSender> stopping) {
        for (PeerSender sender : stopping) {
            for (Message lost : sender.stop()) {
                droppedMessages.increment();
                if (lost.getType() == MessageType.MsgSnap) {
                    listener.snapshotSent(lost.getTo(), false);
                }
            }
        }
        for (PeerSender sender : stopping) {
            try {
                if (!sender.awaitStopped(SENDER_STOP_TIMEOUT)) {
                    logger.log(System.Logger.Level.WARNING, "peer sender to {0} did not stop within {1}",
                            sender.url(), SENDER_STOP_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private URI peerUri(String peerUrl) {
        URI url;
        try {
            url = URI.create(peerUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("peer URL is malformed: " + peerUrl, e);
        }
        String expected = config.tls() != null ? "https" : "http";
        if (!expected.equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("peer URL must be an absolute " + expected + " URL: " + peerUrl);
        }
        return url;
    }
}
