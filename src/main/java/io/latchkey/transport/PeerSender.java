package io.latchkey.transport;

import com.google.protobuf.CodedOutputStream;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.node.PeerTransport;
import io.latchkey.node.WriteStage;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Everything that sends to one peer: its bounded queue, and a virtual thread that writes what
 * queued onto one long-lived HTTP/2 request stream ({@code POST /raft/stream}) as
 * length-delimited messages, flushing after each batch. The request's body never ends while the
 * sender lives, so a message costs one DATA frame: no new stream, no answer, no hand-off to a
 * handler thread per batch (etcd's stream transport, which one request per batch was measured
 * against: see BENCHMARKS.md). Whatever queued while a batch was being written travels in the
 * next batch.
 *
 * <p>The stream carries no acknowledgement, so the sender learns that a peer is gone either
 * from a failed write, or from the peer falling silent: when nothing came back from it (over
 * its own stream to us, see {@link #heard()}) for {@code requestTimeoutMillis} after we sent it
 * something, the connection is replaced. Raft answers appends and heartbeats, so a live peer is
 * never silent that long; a peer that only ignores our messages (a member refusing a
 * disruptive vote) costs a reconnect now and then, nothing more. A stream the peer ended early
 * (a misdirected message: 421) is noticed the same way, since Helidon's client goes on writing
 * into a stream whose answer has come; a refusal at the start (401, 403, 503) fails the first
 * write at once.
 *
 * <p>After a failure the batch in hand is dropped and reported unreachable (Raft resends), the
 * connection replaced, and the sender pauses with exponential back-off. A snapshot goes on a
 * request of its own ({@code POST /raft/snapshot}) on a separate connection, so that its
 * megabytes never hold up heartbeats.
 */
final class PeerSender {
    private static final Duration STREAM_READ_TIMEOUT = Duration.ofDays(1);

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
    private final Thread watchdog;
    /** The stream's connection; replaced by the sender thread after a failure or a silence. */
    private volatile Http2Client client;
    /** Set by the watchdog: the stream is to be given up at the next batch, without dropping it. */
    private volatile boolean abandoned;
    /** When we first sent something the peer has not answered since; 0 when all is answered. */
    private final AtomicLong unansweredSinceNanos = new AtomicLong();
    private volatile boolean stopped;

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
        this.client = newClient(url, config);
        this.thread = Thread.ofVirtual().name("latchkey-peer-sender-%x".formatted(peerId)).unstarted(this::run);
        this.watchdog = Thread.ofVirtual().name("latchkey-peer-watchdog-%x".formatted(peerId)).unstarted(this::watch);
    }

    URI url() {
        return url;
    }

    void start() {
        thread.start();
        watchdog.start();
    }

    /** Queues without waiting; false when the peer's queue is full or the sender stopped. */
    boolean offer(Message message) {
        return queue.offer(message);
    }

    /** The peer sent us something: it is alive and reads what we send. Called per message received. */
    void heard() {
        // Read first: most messages find nothing unanswered, and a read costs no cache-line transfer.
        if (unansweredSinceNanos.get() != 0 && unansweredSinceNanos.getAndSet(0) != 0) {
            backoff.reset();
        }
    }

    /**
     * Stops sending and aborts a write in progress; returns the messages still queued.
     * Call {@link #awaitStopped} afterwards.
     */
    List<Message> stop() {
        stopped = true;
        List<Message> left = queue.close();
        // Closing the connection unblocks a write waiting on a peer that never reads.
        closeQuietly(client);
        thread.interrupt();
        watchdog.interrupt();
        return left;
    }

    /** Waits for the sender's threads to finish; false if they did not within {@code timeout}. */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        return thread.join(timeout)
                && watchdog.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Opens a stream once something is queued, and a new one after each failure or silence. */
    private void run() {
        List<Message> batch = new ArrayList<>();
        try {
            while (!stopped && takeBatch(batch)) {
                if (batch.getFirst().getType() == MessageType.MsgSnap) {
                    // No stream needed for it, nor opened for it.
                    sendSnapshot(batch.getFirst());
                    batch.clear();
                    continue;
                }
                if (abandoned) {
                    replaceConnection();
                }
                if (stream(batch) || stopped) {
                    continue;
                }
                droppedMessages.add(batch.size());
                batch.clear();
                listener.get().unreachable(peerId);
                replaceConnection();
                if (!queue.pause(backoff.nextDelayMillis())) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // stop() interrupts: the thread ends, and the messages left were returned by stop().
        }
    }

    private boolean takeBatch(List<Message> batch) throws InterruptedException {
        return !batch.isEmpty() || queue.takeBatch(batch, config.batchBytesMax(),
                nanos -> stages.get().record(WriteStage.PEER_QUEUE, nanos));
    }

    /**
     * Writes {@code batch} and every later one onto one request stream. Returns true when the
     * stream was abandoned for silence (the batch in hand, not written, goes on the next stream)
     * or ended by stop(); false when it failed, leaving the batch that failed in {@code batch}.
     */
    private boolean stream(List<Message> batch) {
        Http2Client on = client;
        // From here the watchdog judges the peer: also a connection that never gets set up.
        unansweredSinceNanos.compareAndSet(0, System.nanoTime());
        IOException[] failure = new IOException[1];
        try (Http2ClientResponse response = on.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.STREAM_PATH)
                .outputStream(out -> {
                    try {
                        writeBatches(out, batch);
                    } catch (IOException e) {
                        failure[0] = e;
                        throw e;
                    }
                })) {
            if (stopped || abandoned) {
                return true;
            }
            // The peer ended the stream: it refused us, or its replica is not started yet.
            logger.log(System.Logger.Level.WARNING, "peer {0} ended the message stream: {1}", hex(peerId), response.status());
            return false;
        } catch (RuntimeException e) {
            if (stopped || abandoned) {
                return true;
            }
            logger.log(System.Logger.Level.DEBUG, "peer {0} unreachable: {1}",
                    hex(peerId), describe(failure[0] != null ? failure[0] : e));
            return false;
        }
    }

    /**
     * The body of the stream: a batch, flushed, then the next as soon as it is queued, until the
     * queue closes (stop) or the watchdog gives the stream up. A snapshot met on the way is sent
     * on its own request meanwhile.
     */
    private void writeBatches(OutputStream out, List<Message> batch) throws IOException {
        try {
            do {
                if (abandoned) {
                    return;
                }
                if (batch.getFirst().getType() == MessageType.MsgSnap) {
                    sendSnapshot(batch.getFirst());
                } else {
                    unansweredSinceNanos.compareAndSet(0, System.nanoTime());
                    long started = System.nanoTime();
                    out.write(encode(batch));
                    out.flush();
                    stages.get().record(WriteStage.PEER_WRITE, System.nanoTime() - started);
                }
                batch.clear();
            } while (takeBatch(batch));
            out.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("sender stopped");
        }
    }

    /**
     * Gives up a connection on which the peer stayed silent for a request timeout after we sent
     * it something: a half-open TCP connection (the peer's host vanished behind a partition)
     * would otherwise take our writes for minutes until the kernel's retransmissions give up.
     */
    private void watch() {
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMillis());
        long periodMillis = Math.max(10, config.requestTimeoutMillis() / 4);
        try {
            while (!stopped) {
                Thread.sleep(periodMillis);
                long since = unansweredSinceNanos.get();
                if (since != 0 && System.nanoTime() - since > timeoutNanos
                        && unansweredSinceNanos.compareAndSet(since, 0)) {
                    logger.log(System.Logger.Level.DEBUG, "peer {0} silent for {1} ms; replacing its connection",
                            hex(peerId), config.requestTimeoutMillis());
                    abandoned = true;
                    // Unblocks a write the peer's flow control or a full socket buffer holds.
                    closeQuietly(client);
                    listener.get().unreachable(peerId);
                }
            }
        } catch (InterruptedException e) {
            // stop() interrupts.
        }
    }

    private void sendSnapshot(Message msgSnap) {
        // The bytes follow the header as chunks; the header keeps only the metadata.
        Message header = msgSnap.toBuilder().setSnapshot(msgSnap.getSnapshot().toBuilder().clearData()).build();
        boolean delivered = false;
        Http2Client snapshotClient = newClient(url, config);
        try (InputStream data = snapshots.open(msgSnap.getSnapshot());
             Http2ClientResponse response = snapshotClient.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.SNAPSHOT_PATH)
                     .readTimeout(Duration.ofMillis(config.snapshotTimeoutMillis()))
                     .header(PeerHeaders.SNAPSHOT_CHECKSUM, SnapshotChunks.SHA256_TRAILER)
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
        } finally {
            closeQuietly(snapshotClient);
        }
        if (!delivered) {
            droppedMessages.increment();
            if (!stopped) {
                listener.get().unreachable(peerId);
            }
        } else {
            backoff.reset();
        }
        listener.get().snapshotSent(peerId, delivered);
    }

    /**
     * A connection that failed once is not trusted again: the peer may have restarted behind
     * it, and a Helidon 4.4.0 client connection whose send window ran dry ("Flow control update
     * wait time-out") never got it back.
     */
    private void replaceConnection() {
        Http2Client failed = client;
        client = newClient(url, config);
        abandoned = false;
        closeQuietly(failed);
        if (stopped) {
            closeQuietly(client);
        }
    }

    private void closeQuietly(Http2Client connection) {
        try {
            connection.closeResource();
        } catch (RuntimeException e) {
            // The goodbye frame could not be written: the connection is already gone, as wanted.
            logger.log(System.Logger.Level.DEBUG, "closing connection to peer {0}: {1}", hex(peerId), e.toString());
        }
    }

    /** A batch on the wire: each message as varint length + bytes, as writeDelimitedTo writes it. */
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

    static Http2Client newClient(URI url, PeerTransportConfig config) {
        Http2ClientConfig.Builder builder = Http2Client.builder()
                .baseUri(url)
                // Our own connection per peer, so that closing this sender closes exactly it.
                .shareConnectionCache(false)
                .connectTimeout(Duration.ofMillis(config.connectTimeoutMillis()))
                // A stream's answer comes only when it ends; the watchdog judges the peer meanwhile.
                // (Helidon keeps socket timeouts in int milliseconds: a day fits, a year does not.)
                .readTimeout(STREAM_READ_TIMEOUT)
                // Without it Nagle and delayed ACKs hold small Raft messages for ~40 ms each.
                .socketOptions(socket -> socket.tcpNoDelay(true))
                // Helidon waits 15 s by default for a window update; a stalled connection is
                // replaced sooner instead (see replaceConnection()).
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
