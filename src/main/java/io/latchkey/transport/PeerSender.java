package io.latchkey.transport;

import com.google.protobuf.CodedOutputStream;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.helidon.http.HeaderNames;
import io.latchkey.node.PeerTransport;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Everything that sends to one peer: its bounded queue, its own HTTP/2 connection and a
 * virtual thread that drains the queue one request at a time. Waiting for each answer before
 * the next request is what keeps per-peer FIFO order; batching keeps that cheap.
 */
final class PeerSender {
    private final long peerId;
    private final URI url;
    private final PeerTransportConfig config;
    private final SnapshotStreams snapshots;
    private final Supplier<PeerTransport.Listener> listener;
    private final LongAdder droppedMessages;
    private final System.Logger logger;
    private final PeerQueue queue;
    private final Backoff backoff;
    private final Thread thread;
    // Replaced by the sender thread after a failure; read by stop() from another thread.
    private volatile Http2Client client;
    private volatile boolean stopped;

    PeerSender(long peerId, URI url, PeerTransportConfig config, SnapshotStreams snapshots,
               Supplier<PeerTransport.Listener> listener, LongAdder droppedMessages, System.Logger logger) {
        this.peerId = peerId;
        this.url = url;
        this.config = config;
        this.snapshots = snapshots;
        this.listener = listener;
        this.droppedMessages = droppedMessages;
        this.logger = logger;
        this.queue = new PeerQueue(config.queueMessagesMax(), config.queueBytesMax());
        this.backoff = new Backoff(config.reconnectBackoffMillisMin(), config.reconnectBackoffMillisMax());
        this.client = newClient(url, config);
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
        // Closing the connection unblocks a request waiting on a peer that never answers.
        closeQuietly(client);
        thread.interrupt();
        return left;
    }

    /** Waits for the sender thread to finish; false if it did not within {@code timeout}. */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    private void run() {
        List<Message> batch = new ArrayList<>();
        try {
            while (queue.takeBatch(batch, config.batchBytesMax())) {
                Message first = batch.getFirst();
                boolean delivered = first.getType() == MessageType.MsgSnap
                        ? sendSnapshot(first)
                        : sendMessages(batch);
                batch.clear();
                if (delivered) {
                    backoff.reset();
                    continue;
                }
                reconnect();
                if (!queue.pause(backoff.nextDelayMillis())) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // stop() interrupts: the thread ends, and the messages left were returned by stop().
        }
    }

    private boolean sendMessages(List<Message> batch) {
        try (Http2ClientResponse response = client.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.MESSAGES_PATH)
                .submit(encode(batch))) {
            if (successful(response)) {
                return true;
            }
            logger.log(System.Logger.Level.WARNING, "peer {0} refused {1} messages: {2}",
                    hex(peerId), batch.size(), response.status());
        } catch (RuntimeException e) {
            logger.log(System.Logger.Level.DEBUG, "peer {0} unreachable: {1}", hex(peerId), describe(e));
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
             Http2ClientResponse response = client.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.SNAPSHOT_PATH)
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
        Http2Client failed = client;
        client = newClient(url, config);
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
