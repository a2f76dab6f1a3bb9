package io.latchkey.transport;

import com.google.protobuf.CodedOutputStream;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.WriteStage;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Everything that sends to one peer: its bounded queue, its own HTTP/2 connections and a
 * virtual thread that drains the queue in batches, with up to {@code requestsInFlightMax}
 * requests awaiting their answer at once (each on a virtual thread of its own), so that a
 * batch does not wait a round trip for the answer to the one before. Each request in flight has
 * a connection to itself: with two or more streams in flight on one Helidon 4.4.0 HTTP/2
 * connection, a request now and then got no answer (around the 8192nd, 16384th and 32768th
 * stream of the connection; see BENCHMARKS.md), and one stream at a time never lost one. The
 * requests of a generation of connections are numbered and the receiver delivers them in that
 * order ({@link RequestOrder}). After a failed request the sender lets the others finish,
 * replaces all its connections and pauses; a snapshot travels alone, after every earlier
 * request was answered.
 */
final class PeerSender {
    /** Tells this sender's connections apart from those of the peer's earlier or later processes. */
    private static final String INCARNATION = Long.toHexString(new java.security.SecureRandom().nextLong());

    private final long peerId;
    private final URI url;
    private final PeerTransportConfig config;
    private final SnapshotStreams snapshots;
    private final Supplier<PeerTransport.Listener> listener;
    private final Supplier<WriteStage.Timer> stages;
    private final LongAdder droppedMessages;
    private final System.Logger logger;
    private final PeerQueue queue;
    private final Backoff backoff;
    private final Thread thread;
    private final int requestsMax;
    private final Semaphore requestSlots;
    /** Threads of the requests in flight, interrupted by stop() like the sender thread. */
    private final java.util.Set<Thread> requestThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // Replaced by the sender thread after a failure; read by stop() and by requests in flight.
    private volatile Connection connection;
    private long connections;
    private volatile boolean stopped;

    /**
     * One generation of connections, one per request slot, and the numbering of the requests
     * sent on them: a request takes an idle connection and gives it back when answered.
     */
    private static final class Connection {
        final List<Http2Client> clients;
        final java.util.concurrent.BlockingQueue<Http2Client> idle;
        final String id;
        /** Next request number; used by the sender thread only. */
        long nextSequence;
        /** Set by the first request on it that failed. */
        volatile boolean failed;

        Connection(List<Http2Client> clients, String id) {
            this.clients = clients;
            this.idle = new java.util.concurrent.LinkedBlockingQueue<>(clients);
            this.id = id;
        }
    }

    PeerSender(long peerId, URI url, PeerTransportConfig config, SnapshotStreams snapshots,
               Supplier<PeerTransport.Listener> listener, Supplier<WriteStage.Timer> stages,
               LongAdder droppedMessages, System.Logger logger) {
        this.peerId = peerId;
        this.url = url;
        this.config = config;
        this.snapshots = snapshots;
        this.listener = listener;
        this.stages = stages;
        this.droppedMessages = droppedMessages;
        this.logger = logger;
        this.queue = new PeerQueue(config.queueMessagesMax(), config.queueBytesMax());
        this.backoff = new Backoff(config.reconnectBackoffMillisMin(), config.reconnectBackoffMillisMax());
        this.requestsMax = config.requestsInFlightMax();
        this.requestSlots = new Semaphore(requestsMax);
        this.connection = newConnection();
        this.thread = Thread.ofVirtual().name("latchkey-peer-sender-%x".formatted(peerId)).unstarted(this::run);
    }

    URI url() {
        return url;
    }

    void start() {
        thread.start();
    }

    /** Queues without waiting; false when the peer's queue is full or the sender stopped. */
    boolean offer(Message message) {
        return queue.offer(message);
    }

    /**
     * Stops sending and aborts a request in flight; returns the messages still queued.
     * Call {@link #awaitStopped} afterwards.
     */
    List<Message> stop() {
        stopped = true;
        List<Message> left = queue.close();
        // Closing the connection unblocks requests waiting on a peer that never answers.
        closeQuietly(connection);
        thread.interrupt();
        requestThreads.forEach(Thread::interrupt);
        return left;
    }

    /**
     * Waits for the sender thread and its requests in flight to finish; false if they did not
     * within {@code timeout}.
     */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!thread.join(timeout)) {
            return false;
        }
        if (!requestSlots.tryAcquire(requestsMax, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            return false;
        }
        requestSlots.release(requestsMax);
        return true;
    }

    /**
     * A batch is taken only once a request slot is free, so that whatever queued meanwhile
     * travels together (batching is what makes the rate, see BENCHMARKS.md).
     */
    private void run() {
        List<Message> batch = new ArrayList<>();
        try {
            while (true) {
                requestSlots.acquire();
                boolean handedOver = false;
                try {
                    if (!queue.takeBatch(batch, config.batchBytesMax(),
                            nanos -> stages.get().record(WriteStage.PEER_QUEUE, nanos))) {
                        return;
                    }
                    if (connection.failed && !startOver()) {
                        return;
                    }
                    if (batch.getFirst().getType() == MessageType.MsgSnap) {
                        sendSnapshotAlone(batch.getFirst());
                    } else {
                        send(connection, List.copyOf(batch));
                        handedOver = true;
                    }
                } finally {
                    batch.clear();
                    if (!handedOver) {
                        requestSlots.release();
                    }
                }
            }
        } catch (InterruptedException e) {
            // stop() interrupts: the thread ends, and the messages left were returned by stop().
        }
    }

    /**
     * After a failure, holding one request slot: waits for the other requests in flight (they
     * fail fast on a broken connection), replaces the connection and pauses. False once stopped.
     */
    private boolean startOver() throws InterruptedException {
        requestSlots.acquire(requestsMax - 1);
        try {
            reconnect();
            return queue.pause(backoff.nextDelayMillis());
        } finally {
            requestSlots.release(requestsMax - 1);
        }
    }

    /** Holding one request slot: a snapshot goes after every earlier request was answered, and alone. */
    private void sendSnapshotAlone(Message msgSnap) throws InterruptedException {
        requestSlots.acquire(requestsMax - 1);
        try {
            if (sendSnapshot(msgSnap)) {
                backoff.reset();
            } else {
                connection.failed = true;
            }
        } finally {
            requestSlots.release(requestsMax - 1);
        }
    }

    /** Sends one batch on its own virtual thread; the caller holds a request slot, which it releases. */
    private void send(Connection on, List<Message> batch) {
        long sequence = on.nextSequence++;
        Thread.ofVirtual().name("latchkey-peer-request-%x".formatted(peerId)).start(() -> {
            requestThreads.add(Thread.currentThread());
            try {
                if (stopped) {
                    return;
                }
                if (sendMessages(on, sequence, batch)) {
                    backoff.reset();
                } else {
                    on.failed = true;
                }
            } finally {
                requestThreads.remove(Thread.currentThread());
                requestSlots.release();
            }
        });
    }

    private boolean sendMessages(Connection on, long sequence, List<Message> batch) {
        // One slot per connection: holding a slot, the caller always finds one idle.
        Http2Client client = on.idle.remove();
        long started = System.nanoTime();
        try (Http2ClientResponse response = client.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.MESSAGES_PATH)
                .header(PeerHeaders.CONNECTION, on.id)
                // Marked changing: HPACK sends it literally rather than filling the header table
                // with a value per request.
                .header(HeaderValues.create(PeerHeaders.SEQUENCE, true, false, sequence))
                .submit(encode(batch))) {
            if (successful(response)) {
                stages.get().record(WriteStage.PEER_REQUEST, System.nanoTime() - started);
                return true;
            }
            logger.log(System.Logger.Level.WARNING, "peer {0} refused {1} messages: {2}",
                    hex(peerId), batch.size(), response.status());
        } catch (RuntimeException e) {
            logger.log(System.Logger.Level.DEBUG, "peer {0} unreachable: {1}", hex(peerId), describe(e));
        } finally {
            on.idle.add(client);
        }
        droppedMessages.add(batch.size());
        // A request aborted by stop() says nothing about the peer.
        if (!stopped) {
            listener.get().unreachable(peerId);
        }
        return false;
    }

    private boolean sendSnapshot(Message msgSnap) {
        // The bytes follow the header as chunks; the header keeps only the metadata.
        Message header = msgSnap.toBuilder().setSnapshot(msgSnap.getSnapshot().toBuilder().clearData()).build();
        boolean delivered = false;
        try (InputStream data = snapshots.open(msgSnap.getSnapshot());
             Http2ClientResponse response = connection.clients.getFirst().post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.SNAPSHOT_PATH)
                     .readTimeout(Duration.ofMillis(config.snapshotTimeoutMillis()))
                     .outputStream(out -> {
                         header.writeDelimitedTo(out);
                         SnapshotChunks.write(data, out, config.snapshotChunkBytes());
                         out.close();
                     })) {
            delivered = successful(response);
            if (!delivered) {
                logger.log(System.Logger.Level.WARNING, "peer {0} refused snapshot at index {1}: {2}",
                        hex(peerId), msgSnap.getSnapshot().getMetadata().getIndex(), response.status());
            }
        } catch (IOException | RuntimeException e) {
            logger.log(System.Logger.Level.WARNING, "snapshot to peer {0} failed: {1}", hex(peerId), describe(e));
        }
        if (!delivered) {
            droppedMessages.increment();
            if (!stopped) {
                listener.get().unreachable(peerId);
            }
        }
        listener.get().snapshotSent(peerId, delivered);
        return delivered;
    }

    /**
     * Starts over on a new connection after any failure. A connection that failed once is not
     * trusted again: the peer may have restarted behind it, and in our benchmark a Helidon 4.4.0
     * client connection whose send window ran dry ("Flow control update wait time-out") never
     * got it back, failing every later request.
     */
    private void reconnect() {
        Connection failed = connection;
        connection = newConnection();
        closeQuietly(failed);
        if (stopped) {
            closeQuietly(connection);
        }
    }

    private Connection newConnection() {
        List<Http2Client> clients = new ArrayList<>(requestsMax);
        for (int i = 0; i < requestsMax; i++) {
            clients.add(newClient(url, config));
        }
        return new Connection(List.copyOf(clients), INCARNATION + "." + connections++);
    }

    private void closeQuietly(Connection connections) {
        for (Http2Client client : connections.clients) {
            try {
                client.closeResource();
            } catch (RuntimeException e) {
                // The goodbye frame could not be written: the connection is already gone, as wanted.
                logger.log(System.Logger.Level.DEBUG, "closing connection to peer {0}: {1}", hex(peerId), e.toString());
            }
        }
    }

    /** The request body: each message as varint length + bytes, as writeDelimitedTo writes it. */
    static byte[] encode(List<Message> batch) {
        int total = 0;
        for (Message message : batch) {
            int size = message.getSerializedSize();
            total += CodedOutputStream.computeUInt32SizeNoTag(size) + size;
        }
        byte[] body = new byte[total];
        CodedOutputStream out = CodedOutputStream.newInstance(body);
        try {
            for (Message message : batch) {
                out.writeUInt32NoTag(message.getSerializedSize());
                message.writeTo(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("sized exactly, a byte array cannot overflow", e);
        }
        out.checkNoSpaceLeft();
        return body;
    }

    private static boolean successful(Http2ClientResponse response) {
        return response.status().code() / 100 == 2;
    }

    private static Http2Client newClient(URI url, PeerTransportConfig config) {
        Http2ClientConfig.Builder builder = Http2Client.builder()
                .baseUri(url)
                // Our own connection per peer, so that closing this sender closes exactly it.
                .shareConnectionCache(false)
                .connectTimeout(Duration.ofMillis(config.connectTimeoutMillis()))
                .readTimeout(Duration.ofMillis(config.requestTimeoutMillis()))
                // Without it Nagle and delayed ACKs hold small Raft messages for ~40 ms each.
                .socketOptions(socket -> socket.tcpNoDelay(true))
                // Helidon waits 15 s by default for a window update; a stalled connection is
                // replaced sooner instead (see reconnect()).
                .protocolConfig(protocol -> protocol.priorKnowledge(true)
                        .flowControlBlockTimeout(Duration.ofMillis(config.flowControlStallMillisMax())))
                .addHeader(HeaderNames.CONTENT_TYPE, PeerHeaders.CONTENT_TYPE)
                .addHeader(PeerHeaders.CLUSTER_ID, config.clusterId())
                .addHeader(PeerHeaders.FROM, hex(config.localNodeId()));
        if (config.advertisedPeerUrl() != null) {
            builder.addHeader(PeerHeaders.FROM_URL, config.advertisedPeerUrl());
        }
        if (config.usesSharedSecret()) {
            builder.addHeader(PeerHeaders.PEER_SECRET, config.sharedSecret());
        }
        if (config.tls() != null) {
            builder.tls(PeerTls.client(config.tls()));
        }
        return builder.build();
    }

    /** The failure with its causes on one line: Helidon wraps the telling one (TLS, socket) deep. */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder(failure.toString());
        for (Throwable cause = failure.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append(" <- ").append(cause);
        }
        return text.toString();
    }

    private static String hex(long id) {
        return Long.toHexString(id);
    }
}
