package io.latchkey.client;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A client of a Latchkey cluster. Give it any members' client URLs: it sends each request to
 * one member and moves on to the next when that one does not answer or knows no leader (a
 * follower passes writes on to the leader itself). Reads are retried freely; every write carries
 * a fresh {@code Idempotency-Key} that its retries repeat, so a write whose outcome was unknown
 * (the leader died mid-request) is applied exactly once. Requests give up after the retry timeout
 * with a {@link LatchkeyException} of status 0.
 *
 * <pre>{@code
 * try (LatchkeyClient client = LatchkeyClient.connect("http://node-0:8080", "http://node-1:8080")) {
 *     client.put("app/mode", "blue");
 *     try (Lock lock = client.lock("jobs/nightly").acquire()) {
 *         lock.put("jobs/nightly/owner", "me");         // fenced by the grant's token
 *     }
 *     Watch w = client.watch("app/", 0, event -> System.out.println(event.key() + " " + event.text()));
 * }
 * }</pre>
 *
 * <p>Thread-safe; one client per application is enough. {@link #close()} stops its leases'
 * keep-alives and its watches (it does not revoke leases: they expire).
 */
public final class LatchkeyClient implements AutoCloseable {
    private static final String JSON = "application/json";
    private static final String SNAPSHOT_PATH = "v1/maintenance/snapshot";

    private final Transport transport;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final Duration lockTtl;
    private final Duration requestTimeout;
    private final String owner;
    private final List<Watch> watches = new java.util.concurrent.CopyOnWriteArrayList<>();

    private LatchkeyClient(Builder b) {
        HttpClient.Builder h = HttpClient.newBuilder().version(b.httpVersion)
                .connectTimeout(b.connectTimeout)
                // Redirects (307 to the leader) are followed by Transport, with the same headers.
                .followRedirects(HttpClient.Redirect.NEVER);
        if (b.sslContext != null) {
            h.sslContext(b.sslContext);
        }
        this.http = h.build();
        this.transport = new Transport(b.endpoints, http, b.bearerToken, b.requestTimeout, b.retryTimeout);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latchkey-client-keepalive");
            t.setDaemon(true);
            return t;
        });
        this.lockTtl = b.lockTtl;
        this.requestTimeout = b.requestTimeout;
        this.owner = b.owner;
    }

    /** A client of the members at these URLs (e.g. {@code http://node-0:8080}), with the defaults of {@link Builder}. */
    public static LatchkeyClient connect(String... endpoints) {
        return builder().endpoints(endpoints).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to reach the cluster; every setting but the endpoints has a default. */
    public static final class Builder {
        private final List<URI> endpoints = new ArrayList<>();
        private String bearerToken;
        private SSLContext sslContext;
        private HttpClient.Version httpVersion = HttpClient.Version.HTTP_2;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration retryTimeout = Duration.ofSeconds(30);
        private Duration lockTtl = Duration.ofSeconds(15);
        private String owner = defaultOwner();

        private Builder() {
        }

        /** Client URLs of members, tried in this order. */
        public Builder endpoints(String... urls) {
            Arrays.stream(urls).map(String::strip).filter(u -> !u.isEmpty()).map(URI::create).forEach(this::endpoint);
            return this;
        }

        public Builder endpoint(URI url) {
            String s = url.toString();
            if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
                throw new IllegalArgumentException("an endpoint is an http:// or https:// URL, not " + s);
            }
            endpoints.add(URI.create(s.endsWith("/") ? s : s + "/"));
            return this;
        }

        /** A bearer token (e.g. a JWT) sent as {@code Authorization: Bearer ...} with every request. */
        public Builder bearerToken(String token) {
            this.bearerToken = token == null || token.isBlank() ? null : token.strip();
            return this;
        }

        /** TLS for {@code https://} endpoints (by default the JDK's trusted CAs). */
        public Builder sslContext(SSLContext context) {
            this.sslContext = context;
            return this;
        }

        /**
         * The HTTP version to ask for: HTTP/2 by default (one connection per member, requests
         * multiplexed on it). Choose {@link HttpClient.Version#HTTP_1_1} when the
         * {@link #sslContext} presents a client certificate whose subject has a common name:
         * the server (Helidon 4.4) then ends the JDK client's HTTP/2 connections before their
         * first request (see the README, "Client certificates and HTTP/2").
         */
        public Builder httpVersion(HttpClient.Version version) {
            this.httpVersion = java.util.Objects.requireNonNull(version, "version");
            return this;
        }

        /** Trusts the CA certificate(s) in this PEM file for {@code https://} endpoints. */
        public Builder trustedCa(Path pem) {
            this.sslContext = trusting(pem);
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** How long one attempt of a request may take (a waiting lock acquire adds its wait). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * How long a request is retried across members before it fails. {@link Duration#ZERO}
         * sends every request once, to the first endpoint (after a 307 to the leader): each 503,
         * 504 or lost connection reaches the caller as it happened, for callers that must know
         * each request's fate (see {@link LatchkeyException#isNotSent()}). Leases' keep-alives
         * are then single requests too, so a lease is lost at the first one that fails.
         */
        public Builder retryTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("the retry timeout cannot be negative: " + timeout);
            }
            this.retryTimeout = timeout;
            return this;
        }

        /** The TTL of the lease each {@link Lock} is held through (kept alive every third of it). */
        public Builder lockTtl(Duration ttl) {
            this.lockTtl = ttl;
            return this;
        }

        /** The owner label of this client's locks, shown to others (default: host and process id). */
        public Builder owner(String owner) {
            this.owner = owner;
            return this;
        }

        public LatchkeyClient build() {
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("give at least one endpoint (a member's client URL)");
            }
            return new LatchkeyClient(this);
        }

        private static String defaultOwner() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
            return host + "/" + ProcessHandle.current().pid();
        }

        private static SSLContext trusting(Path pem) {
            try (InputStream in = Files.newInputStream(pem)) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
                if (i == 0) {
                    throw new IllegalArgumentException("no certificate in " + pem);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, tmf.getTrustManagers(), null);
                return context;
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot read the CA certificates in " + pem + ": " + e.getMessage(), e);
            }
        }
    }

    List<URI> endpoints() {
        return transport.endpoints();
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    // ---- config keys ----

    /** The key (linearizable read), or empty if it does not exist. */
    public Optional<KeyValue> get(String key) {
        return get(key, "linearizable");
    }

    /** The key read at {@code consistency}: {@code linearizable}, {@code lease} or {@code serializable}. */
    public Optional<KeyValue> get(String key, String consistency) {
        Transport.Answer a = transport.send(Transport.Call.read("v1/config/" + Paths.path(key) + "?consistency=" + consistency));
        if (a.status() == 404) {
            return Optional.empty();
        }
        return Optional.of(Json.read(ok(a, 200), KeyValue.class));
    }

    /** Keys under {@code prefix}, in key order, at most {@code limit} (1 to 1000). */
    public KeyList list(String prefix, int limit) {
        return Json.read(ok(transport.send(Transport.Call.read("v1/config?prefix=" + Paths.query(prefix) + "&limit=" + limit)), 200),
                KeyList.class);
    }

    public Written put(String key, String value) {
        return put(key, value.getBytes(StandardCharsets.UTF_8), WriteOptions.none());
    }

    public Written put(String key, String value, WriteOptions options) {
        return put(key, value.getBytes(StandardCharsets.UTF_8), options);
    }

    /** Writes the key if {@code options}' preconditions hold (412 {@link LatchkeyException} otherwise). */
    public Written put(String key, byte[] value, WriteOptions options) {
        return Json.read(ok(write("PUT", "v1/config/" + Paths.path(key) + options.query(), value,
                "application/octet-stream", null), 200), Written.class);
    }

    /** Deletes the key (404 {@link LatchkeyException} if it does not exist). */
    public Written delete(String key) {
        return delete(key, WriteOptions.none());
    }

    public Written delete(String key, WriteOptions options) {
        return Json.read(ok(write("DELETE", "v1/config/" + Paths.path(key) + options.query(), null, null, null), 200),
                Written.class);
    }

    /**
     * Watches the keys under {@code prefix} from {@code fromRevision} (0: from now on; changes
     * made after this returns are delivered). See {@link Watch}.
     */
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        Watch w = new Watch(transport, scheduler, prefix, fromRevision, listener);
        watches.add(w);
        // Without retries the watch still gets one request's time to open.
        Duration openWithin = transport.retryTimeout().isZero() ? requestTimeout : transport.retryTimeout();
        try {
            if (!w.awaitOpened(openWithin)) {
                w.close();
                throw new LatchkeyException(0, "No answer", "no member of " + transport.endpoints()
                        + " opened the watch within " + openWithin, null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.close();
            throw new LatchkeyException(0, "Interrupted", "interrupted while opening the watch", null, e);
        }
        return w;
    }

    // ---- leases ----

    /** Grants a lease of {@code ttl} (whole seconds, 1 to 3600) and keeps it alive until revoked. */
    public Lease grantLease(Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        long sent = System.nanoTime();
        LeaseGrant g = Json.read(ok(write("POST", "v1/leases", Json.write(new Requests.Grant(seconds)), JSON, null), 201),
                LeaseGrant.class);
        return new Lease(this, g.id(), Duration.ofSeconds(g.ttlSeconds()), sent);
    }

    /** The lease's remaining time, keys and locks, or empty if it does not exist. */
    public Optional<LeaseInfo> lease(long id) {
        Transport.Answer a = transport.send(Transport.Call.read("v1/leases/" + id));
        return a.status() == 404 ? Optional.empty() : Optional.of(Json.read(ok(a, 200), LeaseInfo.class));
    }

    /** Revokes a lease by id: its keys are deleted, its locks released. */
    public void revokeLease(long id) {
        ok(write("DELETE", "v1/leases/" + id, null, null, null), 204);
    }

    /** One keep-alive; {@link Lease} sends these itself. Retried until {@code deadline}. */
    public LeaseKeepAlive keepAlive(long id, Duration deadline) {
        Transport.Call call = new Transport.Call("POST", "v1/leases/" + id + "/keepalive", null, null,
                UUID.randomUUID().toString(), true, deadline.compareTo(transport.retryTimeout()) < 0 ? positive(deadline) : null);
        return Json.read(ok(transport.send(call, deadline), 200), LeaseKeepAlive.class);
    }

    // ---- locks ----

    /** A lock held through its own lease of the builder's lock TTL. Not acquired yet. */
    public Lock lock(String name) {
        return new Lock(this, name, null, lockTtl, owner);
    }

    /** A lock held through {@code lease} (which stays when the lock is released). Not acquired yet. */
    public Lock lock(String name, Lease lease) {
        return new Lock(this, name, lease, lease.ttl(), owner);
    }

    /** The holder and waiters of a lock (linearizable read), or empty if it is free. */
    public Optional<LockInfo> lockInfo(String name) {
        return lockInfo(name, "linearizable");
    }

    /**
     * The holder and waiters of a lock read at {@code consistency} ({@code linearizable},
     * {@code lease} or {@code serializable}: what the member has applied, answered even without a
     * leader), or empty if it is free.
     */
    public Optional<LockInfo> lockInfo(String name, String consistency) {
        Transport.Answer a = transport.send(Transport.Call.read("v1/locks/" + Paths.path(name) + "?consistency=" + consistency));
        return a.status() == 404 ? Optional.empty() : Optional.of(Json.read(ok(a, 200), LockInfo.class));
    }

    /** Held locks under {@code prefix}. */
    public List<LockInfo> locks(String prefix) {
        return Json.read(ok(transport.send(Transport.Call.read("v1/locks?prefix=" + Paths.query(prefix))), 200),
                LockList.class).locks();
    }

    /**
     * One acquire of the wire API, below {@link Lock}: nothing keeps the lease alive and nothing
     * releases the grant. {@code request} names the lease ({@code leaseId}) or asks for a new one
     * ({@code ttlSeconds}) and may wait ({@code waitMillis}, at most 300 000) in the lock's queue.
     * A wait the cluster could not finish is sent again with the same idempotency key and so keeps
     * its place in the queue.
     *
     * @throws LatchkeyException 409 if not granted within the wait, 429 if the queue is full
     */
    public LockHeld acquireLock(String name, Requests.Acquire request) {
        Duration wait = Duration.ofMillis(request.waitMillis() == null ? 0 : request.waitMillis());
        Transport.Call call = new Transport.Call("POST", "v1/locks/" + Paths.path(name), Json.write(request), JSON,
                UUID.randomUUID().toString(), true, requestTimeout.plus(wait));
        return Json.read(ok(transport.send(call, transport.retryTimeout().plus(wait)), 200), LockHeld.class);
    }

    /**
     * Releases the grant {@code token} of a lock (the first waiter gets it), below {@link Lock}.
     *
     * @throws LatchkeyException 409 if {@code token} is not the current grant, 404 if the lock is free
     */
    public void releaseLock(String name, long token) {
        ok(write("DELETE", "v1/locks/" + Paths.path(name) + "?token=" + token, null, null, null), 204);
    }

    // ---- cluster ----

    /** The cluster as the member this client talks to sees it. */
    public ClusterInfo cluster() {
        return Json.read(ok(transport.send(Transport.Call.read("v1/cluster")), 200), ClusterInfo.class);
    }

    /**
     * Adds a member as a learner (start it with the answer's ids, then {@link #promoteMember}).
     * Retried when the outcome is unknown: the leader answers a repeated add of the same peer and
     * client URL with the learner the first attempt added (200 instead of 201).
     */
    public AddedMember addMember(String name, String peerUrl, String clientUrl) {
        Transport.Call call = new Transport.Call("POST", "v1/cluster/members",
                Json.write(new Requests.AddMember(name, peerUrl, clientUrl)), JSON, null, true, null);
        Transport.Answer answer = transport.send(call);
        return Json.read(ok(answer, answer.status() == 200 ? 200 : 201), AddedMember.class);
    }

    public void promoteMember(String id) {
        ok(transport.send(new Transport.Call("POST", "v1/cluster/members/" + Paths.query(id) + "/promote", null, null,
                null, false, null)), 204);
    }

    public void removeMember(String id) {
        ok(transport.send(new Transport.Call("DELETE", "v1/cluster/members/" + Paths.query(id), null, null,
                null, false, null)), 204);
    }

    /**
     * Asks the leader to hand leadership to the voter {@code id} (as {@code etcdctl move-leader}).
     * Accepted is not done: watch {@link #cluster()}'s {@code leaderId} for the change.
     */
    public void transferLeadership(String id) {
        ok(transport.send(new Transport.Call("POST", "v1/cluster/leader", Json.write(new Requests.Transfer(id)), JSON,
                null, false, null)), 202);
    }

    // ---- maintenance ----

    /**
     * A backup of the state as of a linearizable point (admin role with client auth on), in
     * memory; its body is checked against the member's {@code Latchkey-Snapshot-Sha256} header.
     * {@link #saveSnapshot} keeps a large one out of memory.
     *
     * @throws LatchkeyException if refused, or if the body does not match its checksum
     */
    public Snapshot snapshot() {
        Transport.Answer a = transport.send(Transport.Call.read(SNAPSHOT_PATH));
        byte[] bytes = ok(a, 200);
        MessageDigest digest = sha256();
        digest.update(bytes);
        return new Snapshot(snapshotRevision(a), checkedSnapshotDigest(a, digest), bytes);
    }

    /**
     * Saves a backup (see {@link #snapshot}) into {@code file} as it arrives, never whole in
     * memory, checked against the member's SHA-256 before it takes the file's name: the file
     * is then a whole, checked backup, or is left as it was ({@code FILE.partial} is written first).
     *
     * @throws LatchkeyException        if refused, or if the body does not match its checksum
     * @throws IllegalArgumentException if the file cannot be written
     */
    public SavedSnapshot saveSnapshot(Path file) {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            Transport.Answer a = transport.sendSavingOk(Transport.Call.read(SNAPSHOT_PATH), partial);
            ok(a, 200);
            MessageDigest digest = sha256();
            try (InputStream in = new DigestInputStream(Files.newInputStream(partial), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            String sha256 = checkedSnapshotDigest(a, digest);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new SavedSnapshot(file, snapshotRevision(a), sha256, Files.size(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // Only a leftover; the outcome was decided above.
            }
        }
    }

    private static long snapshotRevision(Transport.Answer a) {
        return Long.parseLong(a.response().headers().firstValue("Latchkey-Revision").orElse("0"));
    }

    /** The hex digest of the body, if it is the member's {@code Latchkey-Snapshot-Sha256}. */
    private static String checkedSnapshotDigest(Transport.Answer a, MessageDigest digest) {
        String expected = a.response().headers().firstValue("Latchkey-Snapshot-Sha256").orElse("");
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(expected)) {
            throw new LatchkeyException(0, "Damaged snapshot", "the snapshot's SHA-256 " + actual
                    + " is not the one the member sent ('" + expected + "'); take it again", null);
        }
        return actual;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    // ----

    private Transport.Answer write(String method, String path, byte[] body, String contentType, Duration timeout) {
        return transport.send(new Transport.Call(method, path, body, contentType, UUID.randomUUID().toString(), true, timeout));
    }

    private static Duration positive(Duration d) {
        return d.isNegative() || d.isZero() ? Duration.ofMillis(1) : d;
    }

    private static byte[] ok(Transport.Answer a, int expected) {
        if (a.status() != expected) {
            throw Json.problem(a.status(), a.body());
        }
        return a.body();
    }

    /** Stops keep-alives and watches. Leases are not revoked: they expire after their TTL. */
    @Override
    public void close() {
        for (Watch w : watches) {
            w.close();
        }
        scheduler.shutdownNow();
        http.close();
    }
}
