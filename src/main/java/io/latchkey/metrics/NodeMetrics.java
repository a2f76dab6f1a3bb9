package io.latchkey.metrics;

import io.latchkey.node.ReplicaEvents;
import io.latchkey.node.WriteStage;
import io.latchkey.node.WriteStageTracker;
import io.latchkey.raft.BasicStatus;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.QuotaUsage;
import io.latchkey.state.StateView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The node's application metrics (Prometheus names in parentheses): raft term, commit and
 * applied index and apply lag (gauges {@code latchkey_raft_*}), whether this node knows a leader
 * and is it ({@code latchkey_has_leader}, {@code latchkey_is_leader}), leader changes and proposals
 * made, applied and failed (counters {@code latchkey_raft_*_total}), proposals waiting for their
 * outcome ({@code latchkey_raft_proposals_pending}), the last snapshot's index, size and age
 * ({@code latchkey_snapshot_*}), peer messages dropped ({@code latchkey_peer_dropped_messages}: a
 * full queue or a failed stream; Raft resends), per peer (tag {@code peer}, its id in hex) the
 * failed sends ({@code latchkey_peer_send_failures_total}) and, on the leader, the append round
 * trip (timer {@code latchkey_peer_round_trip_seconds}; a removed peer's series stay until
 * restart), lock grants and waits (counters), locks held and
 * leases (gauges), lease expiries (counter), the corruption alarm ({@code latchkey_state_corrupt}),
 * and the latency of durable log writes including
 * their fsync (timer {@code latchkey_storage_fsync_seconds}), and the latency of each stage of a
 * replicated write (timer {@code latchkey_write_stage_seconds} with tag {@code stage}, one of
 * {@link WriteStage}; histogram buckets from 1 ms to 1 s, quantiles p50 to p99.9; printed per
 * stage by scripts/bench-stages.sh; {@code stage="replicate"} is the commit latency and
 * {@code stage="peer-round-trip"} the peers' round trip). Request counts and latencies of the
 * {@code /v1} routes: {@link RequestMetrics}.
 *
 * <p>Gauges read the replica and the state on the loop thread, at most once per
 * {@link #SAMPLE_MAX_AGE} for all of them, with a short timeout; counters are told by the
 * replica, the state listener and the leader's duties as things happen.
 */
@ApplicationScoped
public class NodeMetrics implements ReplicaEvents {
    /** Timer with a {@code stage} tag; its buckets are set in microprofile-config.properties. */
    static final String STAGE_METRIC = "latchkey_write_stage";
    /** Timer with a {@code peer} tag; its buckets are set in microprofile-config.properties. */
    static final String PEER_ROUND_TRIP_METRIC = "latchkey_peer_round_trip";
    static final Duration SAMPLE_MAX_AGE = Duration.ofMillis(250);
    private static final Duration SAMPLE_TIMEOUT = Duration.ofMillis(500);

    private final LatchkeyService service;
    private final MetricRegistry registry;
    /** By peer id; registered at a peer's first failure or round trip. */
    private final Map<Long, Counter> peerSendFailures = new ConcurrentHashMap<>();
    private final Map<Long, Timer> peerRoundTrips = new ConcurrentHashMap<>();
    private final LatchkeyStateMachine stateMachine;
    private final Counter leaderChanges;
    private final Counter proposals;
    private final Counter proposalsApplied;
    private final Counter proposalsFailed;
    private final Counter lockGrants;
    private final Counter lockWaits;
    private final Counter leaseExpiries;
    private final Timer fsync;
    /** By {@link WriteStage#ordinal()}. */
    private final Timer[] stages;
    private volatile Sample sample = new Sample(0, 0, 0, 0, 0, 0, 0, 0, new QuotaUsage(0, 0, false), 0, 0);
    private volatile boolean attached;
    /** The last snapshot saved or installed since start: its size, and when (nanos; the start before one). */
    private volatile long snapshotSizeBytes;
    private volatile long snapshotAtNanos = System.nanoTime();

    /** One reading of everything the gauges show. */
    private record Sample(long atNanos, long term, long commitIndex, long appliedIndex, long locksHeld, long leases,
                          long nodeId, long leaderId, QuotaUsage quota, long pendingProposals, long snapshotIndex) {
    }

    @Inject
    public NodeMetrics(LatchkeyService service, LatchkeyStateMachine stateMachine, MetricRegistry registry) {
        this.service = service;
        this.stateMachine = stateMachine;
        this.registry = registry;
        gauge(registry, "latchkey_raft_term", "The raft term this node is in.", Sample::term);
        gauge(registry, "latchkey_raft_commit_index", "The highest log index known committed.", Sample::commitIndex);
        gauge(registry, "latchkey_raft_applied_index", "The highest log index applied to the state.", Sample::appliedIndex);
        gauge(registry, "latchkey_raft_apply_lag", "Committed entries not applied yet.",
                s -> Math.max(0, s.commitIndex() - s.appliedIndex()));
        gauge(registry, "latchkey_has_leader", "1 while this node knows a leader, else 0.",
                s -> s.leaderId() != 0 ? 1 : 0);
        gauge(registry, "latchkey_is_leader", "1 while this node is the leader, else 0.",
                s -> s.leaderId() != 0 && s.leaderId() == s.nodeId() ? 1 : 0);
        gauge(registry, "latchkey_locks_held", "Locks held now.", Sample::locksHeld);
        gauge(registry, "latchkey_leases", "Leases that exist now.", Sample::leases);
        gauge(registry, "latchkey_state_size_bytes", "Serialized bytes of keys, values, watch history, leases and locks (what the quota counts).",
                s -> s.quota().sizeBytes());
        gauge(registry, "latchkey_state_quota_bytes", "The state quota (latchkey.state.quota-bytes).", s -> s.quota().quotaBytes());
        gauge(registry, "latchkey_state_quota_alarm", "1 while writes that grow the state are refused for the quota (507) and the state has not shrunk since.",
                s -> s.quota().alarm() ? 1 : 0);
        gauge(registry, "latchkey_raft_proposals_pending", "Proposals through this node waiting to be applied or to fail.",
                Sample::pendingProposals);
        gauge(registry, "latchkey_snapshot_index", "The log index of the last snapshot saved or installed here (0: none).",
                Sample::snapshotIndex);
        registry.gauge(Metadata.builder().withName("latchkey_snapshot_size_bytes")
                .withDescription("Bytes of the last snapshot this node saved or installed since it started (0: none yet).")
                .build(), this, m -> m.snapshotSizeBytes);
        registry.gauge(Metadata.builder().withName("latchkey_snapshot_age_seconds")
                .withDescription("Seconds since this node last saved or installed a snapshot, or since it started.")
                .build(), this, m -> (System.nanoTime() - m.snapshotAtNanos) / 1e9);
        registry.gauge(Metadata.builder().withName("latchkey_peer_dropped_messages")
                .withDescription("Messages to peers dropped since start: a full queue, or a stream that failed "
                        + "(the peer is reported unreachable and Raft resends).").build(),
                this, m -> m.droppedPeerMessages());
        registry.gauge(Metadata.builder().withName("latchkey_peer_refused_requests")
                .withDescription("Peer requests refused since start: no client certificate or shared secret, "
                        + "a wrong secret, another cluster's id, or a sender that is not a member here "
                        + "(or whose certificate names another host).").build(),
                this, m -> m.refusedPeerRequests());
        registry.gauge(Metadata.builder().withName("latchkey_state_corrupt")
                .withDescription("1 once this member's applied state hash differed from another member's at the same "
                        + "index (see health check latchkey-state-integrity), else 0.").build(),
                this, m -> m.stateCorrupt());
        leaderChanges = counter(registry, "latchkey_raft_leader_changes", "Changes of the leader this node knows.");
        proposals = counter(registry, "latchkey_raft_proposals", "Commands proposed through this node.");
        proposalsApplied = counter(registry, "latchkey_raft_proposals_applied",
                "Commands proposed through this node that committed and were applied.");
        proposalsFailed = counter(registry, "latchkey_raft_proposals_failed",
                "Commands proposed through this node that failed: no leader, dropped, leader changed, refused.");
        lockGrants = counter(registry, "latchkey_lock_grants", "Lock grants applied (at once or to a waiter).");
        lockWaits = counter(registry, "latchkey_lock_waits", "Acquires through this node that waited in a lock's queue.");
        leaseExpiries = counter(registry, "latchkey_lease_expiries", "Leases this node expired as leader.");
        fsync = registry.timer(Metadata.builder().withName("latchkey_storage_fsync")
                .withDescription("Durable writes of the raft log, up to and including their fsync.")
                .withUnit(MetricUnits.NANOSECONDS).build());
        Metadata stageMetadata = Metadata.builder().withName(STAGE_METRIC)
                .withDescription("Latency of one stage of a replicated write (tag stage; see io.latchkey.node.WriteStage).")
                .withUnit(MetricUnits.NANOSECONDS).build();
        stages = new Timer[WriteStage.values().length];
        for (WriteStage stage : WriteStage.values()) {
            stages[stage.ordinal()] = registry.timer(stageMetadata, new Tag("stage", stage.tag()));
        }
    }

    /** Records one stage latency; called from the loop, the transport's threads and the store. */
    void recordStage(WriteStage stage, long nanos) {
        stages[stage.ordinal()].update(Duration.ofNanos(nanos));
    }

    /** Hooks into the node as soon as it has started, before it can elect itself. */
    void onStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        attach();
    }

    private void attach() {
        if (attached) {
            return;
        }
        ReplicaHost host = service.host();
        if (host == null) {
            return;
        }
        attached = true;
        host.logStore().onPersist(nanos -> {
            fsync.update(Duration.ofNanos(nanos));
            recordStage(WriteStage.PERSIST, nanos);
        });
        host.transport().setStageTimer(this::recordStage);
        host.loop().setStageTimer(this::recordStage);
        host.loop().query(replica -> {
            replica.setEvents(new WriteStageTracker(System::nanoTime, this::recordStage, this));
            return null;
        }, SAMPLE_TIMEOUT);
    }

    @Override
    public void leaderChanged(long leaderId) {
        leaderChanges.inc();
    }

    @Override
    public void proposed() {
        proposals.inc();
    }

    @Override
    public void proposalFinished(boolean applied) {
        (applied ? proposalsApplied : proposalsFailed).inc();
    }

    @Override
    public void snapshot(long index, long sizeBytes) {
        snapshotSizeBytes = sizeBytes;
        snapshotAtNanos = System.nanoTime();
    }

    @Override
    public void peerUnreachable(long peerId) {
        peerSendFailures.computeIfAbsent(peerId, id -> registry.counter(Metadata.builder()
                .withName("latchkey_peer_send_failures")
                .withDescription("Sends to a peer that failed (full queue, broken stream); tag peer.").build(),
                peerTag(id))).inc();
    }

    @Override
    public void peerRoundTrip(long peerId, long nanos) {
        peerRoundTrips.computeIfAbsent(peerId, id -> registry.timer(Metadata.builder().withName(PEER_ROUND_TRIP_METRIC)
                .withDescription("Leader: an append sent to a peer until its acknowledgement was stepped; tag peer.")
                .withUnit(MetricUnits.NANOSECONDS).build(), peerTag(id))).update(Duration.ofNanos(nanos));
    }

    private static Tag peerTag(long peerId) {
        return new Tag("peer", Long.toHexString(peerId));
    }

    public void lockGranted() {
        lockGrants.inc();
    }

    public void lockWaitStarted() {
        lockWaits.inc();
    }

    public void leasesExpired(int count) {
        leaseExpiries.inc(count);
    }

    private long refusedPeerRequests() {
        ReplicaHost host = service.host();
        return host == null ? 0 : host.peerEndpoint().refusedRequests();
    }

    private long droppedPeerMessages() {
        ReplicaHost host = service.host();
        return host == null ? 0 : host.transport().droppedMessages();
    }

    private long stateCorrupt() {
        ReplicaHost host = service.host();
        return host != null && host.integrityCheck().map(check -> check.alarm() != null).orElse(false) ? 1 : 0;
    }

    private Sample sample() {
        Sample s = sample;
        long now = System.nanoTime();
        if (now - s.atNanos() < SAMPLE_MAX_AGE.toNanos() && s.atNanos() != 0) {
            return s;
        }
        ReplicaHost host = service.host();
        if (host == null) {
            return s;
        }
        try {
            s = host.loop().query(replica -> {
                StateView view = stateMachine.view();
                BasicStatus status = replica.status().basic();
                return new Sample(now, replica.term(), status.hardState().getCommit(),
                        replica.appliedIndex(), view.lockCount(), view.leaseCount(), status.id(), status.softState().lead(),
                        view.quota(), replica.pendingProposals(), replica.snapshotIndex());
            }, SAMPLE_TIMEOUT).get(SAMPLE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            sample = s;
        } catch (Exception e) {
            // The loop is busy or stopped: show the last reading rather than fail the scrape.
        }
        return s;
    }

    private void gauge(MetricRegistry registry, String name, String description, ToLongFunction<Sample> value) {
        registry.gauge(Metadata.builder().withName(name).withDescription(description).build(),
                this, m -> value.applyAsLong(m.sample()));
    }

    private static Counter counter(MetricRegistry registry, String name, String description) {
        return registry.counter(Metadata.builder().withName(name).withDescription(description).build());
    }
}
