package io.latchkey.server;

import io.latchkey.config.ClusterLayout;
import io.latchkey.config.NodeSettings;
import io.latchkey.node.CrashPoints;
import io.latchkey.node.Replica;
import io.latchkey.node.ReplicaConfig;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.StateMachine;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.DefaultLogger;
import io.latchkey.raft.Ready;
import io.latchkey.raft.Status;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.storage.NodeIdentity;
import io.latchkey.storage.PostgresLogStore;
import io.latchkey.storage.PostgresReplicaLogStore;
import io.latchkey.storage.StorageConfig;
import io.latchkey.transport.Http2PeerTransport;
import io.latchkey.transport.PeerEndpoint;
import io.latchkey.transport.PeerTransportConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One running node: its durable log, its peer transport and its replica loop, put together
 * from {@link NodeSettings}. It decides, on first start only, whether this node bootstraps a
 * new cluster or joins an existing one, and records the decision (node and cluster id) in the
 * data directory, so a node never comes back under another identity.
 */
public final class ReplicaHost implements AutoCloseable {
    static final String IDENTITY_FILE = "node.identity";
    /** How often the progress record may lag the database (see {@link NodeProgress}). */
    private static final long PROGRESS_RECORD_INTERVAL_SECONDS = 5;
    /** How long a member's state hashes may take to come (from its loop, or over the network). */
    private static final Duration STATE_HASH_WAIT = Duration.ofSeconds(5);
    private static final long HANDOVER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final System.Logger LOG = System.getLogger(ReplicaHost.class.getName());

    private final NodeIdentity identity;
    private final PostgresLogStore store;
    private final PostgresReplicaLogStore logStore;
    private final Http2PeerTransport transport;
    private final ReplicaLoop loop;
    private final MemberPublisher publisher;
    private final Path dataDir;
    private final ScheduledExecutorService progressRecorder;
    /** Null when state hashing is off. */
    private final StateIntegrityCheck integrityCheck;
    private NodeProgress recordedProgress;

    private ReplicaHost(NodeIdentity identity, Path dataDir, PostgresLogStore store, PostgresReplicaLogStore logStore,
                        Http2PeerTransport transport, ReplicaLoop loop, MemberPublisher publisher,
                        StateIntegrityCheck integrityCheck) {
        this.identity = identity;
        this.integrityCheck = integrityCheck;
        this.dataDir = dataDir;
        this.store = store;
        this.logStore = logStore;
        this.transport = transport;
        this.loop = loop;
        this.publisher = publisher;
        this.progressRecorder = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("node-progress").factory());
        progressRecorder.scheduleWithFixedDelay(this::recordProgress, PROGRESS_RECORD_INTERVAL_SECONDS,
                PROGRESS_RECORD_INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Opens storage, decides identity, bootstraps if this is the first start of an initial
     * member, and starts the loop.
     *
     * @throws IllegalArgumentException naming the setting that makes starting impossible
     */
    public static ReplicaHost start(NodeSettings settings, StateMachine stateMachine) {
        createDirectories(settings.dataDir());
        Path identityFile = settings.dataDir().resolve(IDENTITY_FILE);
        boolean firstStart = !Files.exists(identityFile);
        StartPlan plan = firstStart ? StartPlan.decide(settings) : StartPlan.restart(settings, readIdentity(identityFile));
        NodeIdentity identity = plan.identity();

        StorageConfig storageConfig = storageConfig(settings);
        PostgresLogStore store = PostgresLogStore.open(storageConfig, identity, !firstStart);
        try {
            NodeProgress.read(settings.dataDir()).ifPresent(recorded -> recorded.requireReachedBy(store.hardState().getTerm(),
                    store.lastIndex(), "the database of " + identity + " (schema " + storageConfig.schema() + ")"));
            boolean storageEmpty = store.lastIndex() == 0 && Ready.isEmptySnap(store.snapshot())
                    && Ready.isEmptyHardState(store.hardState());
            String secret = peerSecret(settings, plan);
            PeerTransportConfig.TlsFiles tls = settings.peerTls()
                    .map(files -> new PeerTransportConfig.TlsFiles(files.certChain(), files.privateKey(), files.trustedCa()))
                    .orElse(null);
            PeerTransportConfig transportConfig = PeerTransportConfig.defaults(identity.nodeId(),
                    Long.toHexString(identity.clusterId()), secret, tls).withListen(settings.host(), settings.peerPort())
                    .withAdvertisedPeerUrl(settings.peerUrl());
            Http2PeerTransport transport = new Http2PeerTransport(transportConfig, new StoreSnapshotStreams(store));
            // A joining learner hears from the leader before its log names any peer. Nothing committed
            // and no snapshot: it never had a configuration (also after a crash before its first commit).
            if (plan.bootstrapMembers().isEmpty() && Ready.isEmptySnap(store.snapshot()) && store.hardState().getCommit() == 0) {
                transport.acceptFirstContact();
            }
            ReplicaConfig replicaConfig = new ReplicaConfig(identity.nodeId(), identity.clusterId(),
                    settings.electionTicks(), settings.heartbeatTicks(), 1024 * 1024, 256, 64L * 1024 * 1024,
                    settings.snapshotEntries(), Math.max(1, settings.snapshotEntries() / 2), 100_000,
                    settings.idempotencyTtl().toMillis(), settings.asyncStorageWrites(),
                    new SplittableRandom()).withLeaseMarginTicks(settings.leaseMarginTicks());
            PostgresReplicaLogStore logStore = new PostgresReplicaLogStore(store);
            Replica replica = new Replica(replicaConfig, logStore, transport, stateMachine,
                    DefaultLogger.stderr(), CrashPoints.NONE);
            replica.hashStateEvery(settings.stateHashIntervalEntries());
            if (storageEmpty && !plan.bootstrapMembers().isEmpty()) {
                replica.bootstrap(plan.bootstrapMembers());
            }
            if (firstStart) {
                writeIdentity(identityFile, identity);
            }
            ReplicaLoop loop = new ReplicaLoop(replica, transport, settings.tickInterval());
            loop.start();
            transport.endpoint().serveStateHashes(() -> ReplicaLoop.join(loop.query(Replica::stateHashes, STATE_HASH_WAIT)));
            StateIntegrityCheck integrityCheck = settings.stateHashIntervalEntries() == 0 ? null
                    : new StateIntegrityCheck(loop, identity.nodeId(), id -> transport.fetchStateHashes(id, STATE_HASH_WAIT),
                    settings.stateHashCheckPeriod());
            MemberPublisher publisher = new MemberPublisher(loop, identity.nodeId(), settings.peerUrl(), settings.clientUrl());
            publisher.start();
            return new ReplicaHost(identity, settings.dataDir(), store, logStore, transport, loop, publisher, integrityCheck);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public ReplicaLoop loop() {
        return loop;
    }

    /** The replica's durable log, for its write-latency hook. */
    public PostgresReplicaLogStore logStore() {
        return logStore;
    }

    /** Whether the node's PostgreSQL answers now (for readiness). */
    public boolean storageReachable() {
        return store.reachable();
    }

    public NodeIdentity identity() {
        return identity;
    }

    /** The comparison of state hashes with the other members, unless hashing is off. */
    public Optional<StateIntegrityCheck> integrityCheck() {
        return Optional.ofNullable(integrityCheck);
    }

    /** The peer listener's routes, for the server's named socket. */
    /** The peer transport, for its stage timings. */
    public Http2PeerTransport transport() {
        return transport;
    }

    public PeerEndpoint peerEndpoint() {
        return transport.endpoint();
    }

    @Override
    public void close() {
        if (integrityCheck != null) {
            integrityCheck.close();
        }
        publisher.close();
        loop.close();
        progressRecorder.shutdownNow();
        try {
            progressRecorder.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        recordProgress();
        store.close();
    }

    /**
     * etcd's leadership handover on stop: if this node leads and has other voters, it asks the
     * voter whose log matches furthest (those recently heard from first) to take over at once
     * (Raft's leadership transfer: MsgTimeoutNow once it is caught up) and waits until this
     * node follows another leader, at most {@code waitMax}. The cluster then has a leader again after a
     * round trip instead of after an election timeout of silence. Safety is Raft's own: the
     * transferee campaigns with an ordinary vote, and the transfer is abandoned after an
     * election timeout.
     *
     * @return the voter that took over, or 0 if this node did not lead or none took over in time
     */
    public long handOverLeadership(Duration waitMax) {
        if (loop.failure() != null) {
            return 0;
        }
        long self = identity.nodeId();
        long deadline = System.nanoTime() + waitMax.toNanos();
        try {
            Status status = loop.status(waitMax).get();
            if (status.basic().softState().lead() != self) {
                return 0;
            }
            // Recently heard from first: but raft clears that mark for every follower each election
            // timeout (CheckQuorum) until its next answer, so a voter not marked may be just as live.
            Optional<Long> transferee = status.progress().entrySet().stream()
                    .filter(e -> e.getKey() != self && !e.getValue().isLearner())
                    .max(Comparator.comparing((Map.Entry<Long, Progress> e) -> e.getValue().recentActive())
                            .thenComparingLong(e -> e.getValue().match()))
                    .map(Map.Entry::getKey);
            if (transferee.isEmpty()) {
                return 0;
            }
            LOG.log(System.Logger.Level.INFO, "stopping: handing leadership over to " + Long.toHexString(transferee.get()));
            loop.transferLeadership(transferee.get());
            while (System.nanoTime() - deadline < 0) {
                long lead = loop.status(waitMax).get().basic().softState().lead();
                // Not just "no longer leads": this node steps down when the transferee's vote
                // request arrives, and must stay up until its vote has reached the transferee
                // (which then leads, and tells this node so), or the campaign fails for want of it.
                if (lead != self && lead != 0) {
                    return lead;
                }
                // Polling the loop for the outcome of a message exchange with the transferee.
                LockSupport.parkNanos(HANDOVER_POLL_NANOS);
            }
            LOG.log(System.Logger.Level.WARNING, "stopping: " + Long.toHexString(transferee.get())
                    + " did not take over leadership within " + waitMax);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "stopping: leadership handover failed: " + e);
        }
        return 0;
    }

    /** Records how far the durable state came, when it moved; a failure is only logged (the next try may work). */
    private synchronized void recordProgress() {
        HardState hardState = store.hardState();
        NodeProgress now = new NodeProgress(hardState.getTerm(), Math.min(hardState.getCommit(), store.lastIndex()));
        if (now.equals(recordedProgress)) {
            return;
        }
        try {
            now.write(dataDir);
            recordedProgress = now;
        } catch (UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not record the node's progress: " + e.getMessage());
        }
    }

    /** Who this node is on its first start, and which members (if any) it bootstraps with. */
    record StartPlan(NodeIdentity identity, List<Member> bootstrapMembers, boolean hasPeers) {
        /**
         * A node coming back has peers exactly when it was configured with them: static members,
         * a StatefulSet, or a cluster id to join. A node started alone had a random secret that no
         * other member could have learnt, so it could not have grown a working peer since.
         */
        static StartPlan restart(NodeSettings s, NodeIdentity identity) {
            boolean hasPeers = !s.peers().isEmpty() || s.kubernetes().isPresent() || (s.nodeId() != 0 && s.clusterId() != 0);
            return new StartPlan(identity, List.of(), hasPeers);
        }

        static StartPlan decide(NodeSettings s) {
            long configuredClusterId = s.clusterId();
            if (s.kubernetes().isPresent()) {
                NodeSettings.KubernetesSettings k = s.kubernetes().get();
                ClusterLayout.StatefulSet layout = ClusterLayout.statefulSet(k.podName(), k.serviceName(), k.namespace(),
                        k.clusterDomain(), k.replicas(), s.peerPort(), s.peerUrl().startsWith("https"));
                if (s.nodeId() != 0) {
                    // The membership API gave this pod an id: it joins the running cluster.
                    return join(s, layout.clusterId());
                }
                if (!layout.initialMember()) {
                    throw new IllegalArgumentException("pod " + k.podName() + " is not one of the first " + k.replicas()
                            + " replicas and has no data: add it through the membership API (POST /v1/cluster/members)"
                            + " and start it with latchkey.node-id set to the id it returns");
                }
                long id = layout.members().get(layout.ordinal()).id();
                return new StartPlan(new NodeIdentity(id, layout.clusterId()), members(layout.members(), s, id), true);
            }
            if (!s.peers().isEmpty()) {
                List<ClusterLayout.InitialMember> initial = ClusterLayout.parsePeers(s.peers());
                String scheme = s.peerTls().isPresent() ? "https://" : "http://";
                for (ClusterLayout.InitialMember m : initial) {
                    if (!m.peerUrl().startsWith(scheme)) {
                        throw new IllegalArgumentException("latchkey.cluster.peers: member " + Long.toHexString(m.id())
                                + " must have a " + scheme + " peer URL when latchkey.peer.tls.enabled is "
                                + s.peerTls().isPresent() + ", got " + m.peerUrl());
                    }
                }
                if (s.nodeId() == 0) {
                    throw new IllegalArgumentException("latchkey.node-id must name this node's id when latchkey.cluster.peers is set");
                }
                ClusterLayout.Static layout = new ClusterLayout.Static(s.nodeId(), initial);
                long clusterId = ClusterLayout.clusterIdOf(layout.members());
                return new StartPlan(new NodeIdentity(s.nodeId(), clusterId), members(layout.members(), s, s.nodeId()), true);
            }
            if (s.nodeId() != 0 && configuredClusterId != 0) {
                return join(s, configuredClusterId);
            }
            long id = s.nodeId() != 0 ? s.nodeId() : randomId();
            ClusterLayout.InitialMember self = new ClusterLayout.InitialMember(id, "node-" + Long.toHexString(id), s.peerUrl());
            long clusterId = configuredClusterId != 0 ? configuredClusterId : randomId();
            return new StartPlan(new NodeIdentity(id, clusterId), members(List.of(self), s, id), false);
        }

        private static StartPlan join(NodeSettings s, long layoutClusterId) {
            long clusterId = s.clusterId() != 0 ? s.clusterId() : layoutClusterId;
            if (clusterId == 0) {
                throw new IllegalArgumentException("latchkey.cluster.id must be set for a node that joins a cluster");
            }
            return new StartPlan(new NodeIdentity(s.nodeId(), clusterId), List.of(), true);
        }

        /**
         * The member records the cluster is bootstrapped with. Every initial member must append
         * the very same entries, so they carry only what every member knows alike (id, name,
         * peer URL); each node publishes its client URL itself once the cluster runs
         * ({@link MemberPublisher}).
         */
        private static List<Member> members(List<ClusterLayout.InitialMember> initial, NodeSettings s, long selfId) {
            return initial.stream().map(m -> Member.newBuilder()
                    .setId(m.id())
                    .setName(m.name())
                    .setPeerUrl(m.peerUrl())
                    .build()).toList();
        }
    }

    /** The shared secret, or null when mutual TLS alone authenticates peers. */
    private static String peerSecret(NodeSettings settings, StartPlan plan) {
        if (!settings.peerSecret().isEmpty()) {
            if (settings.peerSecret().length() < PeerTransportConfig.SHARED_SECRET_LENGTH_MIN) {
                throw new IllegalArgumentException("latchkey.peer.secret must have at least "
                        + PeerTransportConfig.SHARED_SECRET_LENGTH_MIN + " characters");
            }
            return settings.peerSecret();
        }
        if (settings.peerTls().isPresent()) {
            // Certificates from the cluster CA authenticate peers; a secret would only add to them.
            return null;
        }
        if (plan.hasPeers()) {
            throw new IllegalArgumentException("latchkey.peer.secret must be set (at least "
                    + PeerTransportConfig.SHARED_SECRET_LENGTH_MIN + " characters, the same on every member) when the node has peers"
                    + " and latchkey.peer.tls.enabled is not true");
        }
        // A single node has no peers to talk to yet: a secret nobody knows refuses everyone.
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    static StorageConfig storageConfig(NodeSettings settings) {
        if (settings.jdbcUrl().isEmpty()) {
            return StorageConfig.embedded(settings.dataDir(), settings.storageSchema()).withIoTimeout(settings.storageIoTimeout());
        }
        Map<String, String> properties = new HashMap<>();
        if (!settings.storageUser().isEmpty()) {
            properties.put("user", settings.storageUser());
        }
        if (!settings.storagePassword().isEmpty()) {
            properties.put("password", settings.storagePassword());
        }
        return StorageConfig.external(settings.jdbcUrl(), settings.storageSchema(), properties)
                .withIoTimeout(settings.storageIoTimeout());
    }

    private static long randomId() {
        long id;
        SecureRandom random = new SecureRandom();
        do {
            id = random.nextLong() & Long.MAX_VALUE;
        } while (id == 0);
        return id;
    }

    static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("latchkey.data-dir " + dir + " cannot be created", e);
        }
    }

    private static NodeIdentity readIdentity(Path file) {
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new NodeIdentity(Long.parseUnsignedLong(p.getProperty("node-id"), 16),
                Long.parseUnsignedLong(p.getProperty("cluster-id"), 16));
    }

    static void writeIdentity(Path file, NodeIdentity identity) {
        String text = "# Written on first start; this data belongs to this node of this cluster.\n"
                + "node-id=" + Long.toHexString(identity.nodeId()) + "\n"
                + "cluster-id=" + Long.toHexString(identity.clusterId()) + "\n";
        try {
            Path tmp = file.resolveSibling(IDENTITY_FILE + ".tmp");
            Files.writeString(tmp, text);
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
