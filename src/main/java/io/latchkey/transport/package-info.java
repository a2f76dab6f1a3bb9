/**
 * HTTP/2 peer transport: carries Raft messages between replicas over one long-lived h2c (or
 * TLS) request stream per peer and direction, on a listener separate from the client API, as
 * etcd's stream transport does.
 *
 * <p>Sending side ({@link io.latchkey.transport.Http2PeerTransport}): one bounded queue and
 * one virtual sender thread per peer. The sender writes everything queued (up to
 * {@code batchBytesMax} at a time) as length-delimited protobuf messages onto its stream, a
 * request body that does not end, flushing after each batch. A full queue or a failed stream
 * drops messages and reports the peer unreachable, so the Raft loop never waits for a slow peer.
 *
 * <p>Receiving side ({@link io.latchkey.transport.PeerEndpoint}): a Helidon
 * {@code HttpService} for {@code POST /raft/stream} and {@code POST /raft/snapshot} that
 * authenticates every request (mutual TLS, or the shared cluster secret header), checks the
 * cluster id and the destination node, and hands each message to the replica as it arrives;
 * and {@code GET /raft/state-hashes}, admitted the same way, which answers the member's recent
 * state hashes for the other members' corruption check
 * ({@link io.latchkey.transport.Http2PeerTransport#fetchStateHashes} asks it).
 *
 * <p>Snapshots never travel as one in-memory message: {@link io.latchkey.transport.SnapshotStreams}
 * opens the stored bytes on the sender and stores them on the receiver, and the wire carries
 * them in bounded chunks ({@link io.latchkey.transport.SnapshotChunks}).
 *
 * <p>Helidon is imported here (an adapter); {@code io.latchkey.node} only sees the
 * {@link io.latchkey.node.PeerTransport} port.
 */
package io.latchkey.transport;
