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
import java.util.concurrent.atomic.AtomicBoolean;
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
    /** How often at most the members are asked whether one unknown sender is a member. */
    private static final Duration ASK_INTERVAL = Duration.ofSeconds(1);
    /** How long one member's answer to that question may take. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);
    /** Unknown senders remembered for {@link #ASK_INTERVAL}; beyond this, forgotten all at once. */
    private static final int ASKED_ABOUT_MAX = 256;
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
    /** Who may send to us, at which URL; the configuration's view, kept by setPeer and removePeer. */
    private final KnownPeers known = new KnownPeers();
    /** When each unknown sender's membership was last asked about (bounded, see {@link #askMembersAbout}). */
    private final Map<Long, Long> askedAboutNanos = new ConcurrentHashMap<>();
    /** One question about unknown senders at a time: a stranger cannot make us flood the members. */
    private final AtomicBoolean asking = new AtomicBoolean();
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
        this.endpoint = new PeerEndpoint(config, snapshots, known, this::learnPeer, this::askMembersAbout, this::heardFrom);
    }

    /**
     * This node joins and never had a configuration: until the configuration names its first
     * peer, it admits a sender it does not know at the peer URL the sender advertises (the leader
     * that added it; see {@link KnownPeers} for why that is safe enough). Call it before peers
     * can reach this node.
     */
    public void acceptFirstContact() {
        known.openFirstContact();
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
            known.member(id, url);
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
            known.removed(id);
            PeerSender sender = senders.remove(id);
            if (sender != null) {
                stopAll(List.of(sender));
            }
        }
    }

    /**
     * An admitted request came from {@code id}, which the configuration does not name (a first
     * contact, or a member vouched for): a sender at {@code url} lets this node answer it. A
     * learner that joined with an empty log learns its peers from the log, but it must answer
     * the leader before it can receive that log. The configuration's URL replaces a learnt one.
     */
    void learnPeer(long id, URI url) {
        synchronized (membership) {
            if (closed || id == config.localNodeId() || senders.containsKey(id)) {
                return;
            }
            PeerSender learned = new PeerSender(id, url, config, snapshots, () -> listener, () -> stageTimer, droppedMessages, logger);
            learned.start();
            senders.put(id, learned);
        }
        logger.log(System.Logger.Level.INFO, "peer {0} at {1} learned from its request", Long.toHexString(id), url);
    }

    /**
     * A sender this node does not know was refused: asks the configured members, one after the
     * other, whether it is a member (see {@link KnownPeers}), at most once per
     * {@link #ASK_INTERVAL} per id and one question at a time, in the background. A yes admits
     * the sender's next request (its sender retries).
     */
    private void askMembersAbout(long id) {
        long now = System.nanoTime();
        Long last = askedAboutNanos.get(id);
        if (closed || (last != null && now - last < ASK_INTERVAL.toNanos()) || !asking.compareAndSet(false, true)) {
            return;
        }
        if (askedAboutNanos.size() >= ASKED_ABOUT_MAX) {
            askedAboutNanos.clear();
        }
        askedAboutNanos.put(id, now);
        Thread.ofVirtual().name("peer-membership-question").start(() -> {
            try {
                for (Map.Entry<Long, URI> member : known.configured().entrySet()) {
                    URI url = memberUrlAccordingTo(member.getKey(), member.getValue(), id);
                    if (url != null) {
                        known.vouch(id, url);
                        logger.log(System.Logger.Level.INFO, "member {0} vouches for member {1} at {2}",
                                Long.toHexString(member.getKey()), Long.toHexString(id), url);
                        return;
                    }
                }
            } finally {
                asking.set(false);
            }
        });
    }

    /** The peer URL member {@code asked} (at {@code askedUrl}) has for member {@code id}, or null. */
    private URI memberUrlAccordingTo(long asked, URI askedUrl, long id) {
        Http2Client client = PeerSender.newClient(askedUrl, config);
        try (Http2ClientResponse response = client.get(PeerHeaders.ROUTE_PREFIX + PeerHeaders.MEMBERS_PATH + "/" + Long.toHexString(id))
                .readTimeout(ASK_TIMEOUT).request()) {
            String body = response.as(String.class);
            return response.status().code() == 200 ? peerUri(body.strip()) : null;
        } catch (RuntimeException e) {
            // Unreachable, or an answer that is no peer URL of ours: this member vouches for nobody.
            logger.log(System.Logger.Level.DEBUG, "member {0} not asked about {1}: {2}",
                    Long.toHexString(asked), Long.toHexString(id), e.toString());
            return null;
        } finally {
            client.closeResource();
        }
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
