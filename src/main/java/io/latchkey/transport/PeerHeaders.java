package io.latchkey.transport;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

/** HTTP header names and paths of the peer protocol, shared by sender and endpoint. */
public final class PeerHeaders {
    /** Cluster the sender belongs to; a request for another cluster is refused. */
    public static final HeaderName CLUSTER_ID = HeaderNames.create("Latchkey-Cluster-Id");
    /** Shared cluster secret; required when the listener does not use mutual TLS. */
    public static final HeaderName PEER_SECRET = HeaderNames.create("Latchkey-Peer-Secret");
    /** Sender node id in hex; for diagnostics only, the messages carry {@code from}. */
    public static final HeaderName FROM = HeaderNames.create("Latchkey-From");
    /**
     * Sender's own peer URL. A receiver that has no address for the sender yet (a learner that
     * joined with an empty log, before it applied the configuration naming its peers) uses it
     * to answer, as etcd's transport does with X-PeerURLs.
     */
    public static final HeaderName FROM_URL = HeaderNames.create("Latchkey-From-Url");
    /**
     * The sender's connection a message request belongs to: {@code <incarnation>.<number>}, where
     * the incarnation is random per sender process and the number grows with each new connection.
     */
    public static final HeaderName CONNECTION = HeaderNames.create("Latchkey-Connection");
    /** Position (from 0) of a message request among those sent on its {@link #CONNECTION}. */
    public static final HeaderName SEQUENCE = HeaderNames.create("Latchkey-Sequence");

    /** Route prefix the endpoint is registered under. */
    public static final String ROUTE_PREFIX = "/raft";
    /** Relative path of message batches. */
    public static final String MESSAGES_PATH = "/messages";
    /** Relative path of snapshot transfers. */
    public static final String SNAPSHOT_PATH = "/snapshot";
    /** Body type of both routes: length-delimited protobuf (plus chunks for snapshots). */
    public static final String CONTENT_TYPE = "application/x-protobuf";

    private PeerHeaders() {
    }
}
