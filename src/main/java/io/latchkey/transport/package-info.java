/**
 * HTTP/2 peer transport: carries Raft messages between replicas over long-lived h2c (or TLS)
 * connections, one per request in flight to a peer, on a listener separate from the client API.
 *
 * <p>Sending side ({@link io.latchkey.transport.Http2PeerTransport}): one bounded queue and
 * one virtual sender thread per peer. The sender batches everything queued (up to
 * {@code batchBytesMax}) into one POST of length-delimited protobuf messages whenever one of
 * its {@code requestsInFlightMax} request slots is free; the requests are numbered, and the
 * receiver delivers them in that order ({@link io.latchkey.transport.RequestOrder}).
 * A full queue or a failed request drops messages and reports the peer unreachable, so the
 * Raft loop never waits for a slow peer.
 *
 * <p>Receiving side ({@link io.latchkey.transport.PeerEndpoint}): a Helidon
 * {@code HttpService} for {@code POST /raft/messages} and {@code POST /raft/snapshot} that
 * authenticates every request (mutual TLS, or the shared cluster secret header), checks the
 * cluster id and the destination node, and hands the messages to the replica.
 *
 * <p>Snapshots never travel as one in-memory message: {@link io.latchkey.transport.SnapshotStreams}
 * opens the stored bytes on the sender and stores them on the receiver, and the wire carries
 * them in bounded chunks ({@link io.latchkey.transport.SnapshotChunks}).
 *
 * <p>Helidon is imported here (an adapter); {@code io.latchkey.node} only sees the
 * {@link io.latchkey.node.PeerTransport} port.
 */
package io.latchkey.transport;
