package io.latchkey.transport;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

/** HTTP header names and paths of the peer protocol, shared by sender and endpoint. */
public final class PeerHeaders {
    /** Cluster the sender belongs to; a request for another cluster is refused. */
    public static final HeaderName CLUSTER_ID = HeaderNames.create("Latchkey-Cluster-Id");
    /** Shared cluster secret; required when the listener does not use mutual TLS. */
    public static final HeaderName PEER_SECRET = HeaderNames.create("Latchkey-Peer-Secret");
    /**
     * Sender node id in hex, on every request: the member whose credentials the request must
     * carry, and whose messages alone it may carry. A sender's newer stream supersedes its older
     * ones.
     */
    public static final HeaderName FROM = HeaderNames.create("Latchkey-From");
    /**
     * Sender's own peer URL. A receiver that was never configured (a learner that joined with an
     * empty log, before it applied the configuration naming its peers) admits its first contacts
     * at it and answers them there, as etcd's transport does with X-PeerURLs; a configured
     * receiver ignores it.
     */
    public static final HeaderName FROM_URL = HeaderNames.create("Latchkey-From-Url");
    /**
     * On a snapshot transfer: how the chunked bytes end ({@code sha-256}: with their SHA-256,
     * which the receiver checks before it keeps them). Absent from senders older than the check.
     */
    public static final HeaderName SNAPSHOT_CHECKSUM = HeaderNames.create("Latchkey-Snapshot-Checksum");

    /** Route prefix the endpoint is registered under. */
    public static final String ROUTE_PREFIX = "/raft";
    /** Relative path of a sender's message stream: a request body that lasts as long as the sender. */
    public static final String STREAM_PATH = "/stream";
    /** Relative path of snapshot transfers. */
    public static final String SNAPSHOT_PATH = "/snapshot";
    /**
     * Relative path where a member answers its recent state hashes ({@code GET}, text: one
     * {@code index sha256} line each, see {@link io.latchkey.node.StateHash#format}), for the
     * other members' corruption check.
     */
    public static final String STATE_HASHES_PATH = "/state-hashes";
    /**
     * Relative path, followed by {@code /<id in hex>}, where a member answers whether that id is
     * a member of its applied configuration ({@code GET}: 200 with its peer URL, or 404).
     */
    public static final String MEMBERS_PATH = "/members";
    /** Body type of both routes: length-delimited protobuf (plus chunks for snapshots). */
    public static final String CONTENT_TYPE = "application/x-protobuf";

    private PeerHeaders() {
    }
}
