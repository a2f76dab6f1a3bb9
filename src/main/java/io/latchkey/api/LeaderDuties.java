package io.latchkey.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.metrics.NodeMetrics;
import io.latchkey.node.Proposal;
import io.latchkey.node.ProposalStamper;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.Sha256;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.ExpireLeases;
import io.latchkey.state.proto.LeaderStamp;
import io.latchkey.state.proto.RenewAllLeases;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What only the leader does for the state machine (see {@code io.latchkey.state}'s time
 * model): it keeps the lease clock, stamps every command with its term and that clock,
 * renews all leases when it takes office, and proposes the expiry of leases whose deadline
 * has passed. Writes taken by other nodes are proposed there unstamped; raft forwards them
 * here, and the replica has this bean stamp them before they are appended
 * ({@link ProposalStamper}), so only the leader ever stamps.
 */
@ApplicationScoped
public class LeaderDuties {
    private static final System.Logger LOG = System.getLogger(LeaderDuties.class.getName());
    static final Duration DUTY_INTERVAL = Duration.ofMillis(100);
    static final Duration PROPOSAL_TIMEOUT = Duration.ofSeconds(10);

    private final LatchkeyService service;
    private final LatchkeyStateMachine stateMachine;
    private final NodeMetrics metrics;
    private ScheduledExecutorService scheduler;
    /** Null unless this node leads and has taken over the lease clock. */
    private volatile LeaderClock clock;
    /** The replica host whose replica has this bean as its stamper. */
    private ReplicaHost stamping;

    /** The lease clock of one term of leadership: the replicated clock at takeover plus monotonic time since. */
    private record LeaderClock(long term, long baseMillis, long takeoverNanos, boolean renewed) {
        long nowMillis() {
            return baseMillis + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - takeoverNanos);
        }

        LeaderStamp stamp() {
            return LeaderStamp.newBuilder().setLeaderTerm(term).setLeaseClockMillis(nowMillis()).build();
        }
    }

    private record Observation(boolean leader, long term, long applied, long commit, long replicatedClockMillis) {
    }

    @Inject
    public LeaderDuties(LatchkeyService service, LatchkeyStateMachine stateMachine, NodeMetrics metrics) {
        this.service = service;
        this.stateMachine = stateMachine;
        this.metrics = metrics;
    }

    /** Starts with the container rather than on first use: leases must expire without traffic. */
    void onStartup(@jakarta.enterprise.event.Observes @jakarta.enterprise.context.Initialized(ApplicationScoped.class) Object ignored) {
        // Nothing to do: observing the event is what makes the container create this bean now.
    }

    @PostConstruct
    void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("leader-duties").daemon().factory());
        scheduler.scheduleWithFixedDelay(this::runDuties, DUTY_INTERVAL.toMillis(), DUTY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }

    /** Whether this node can stamp and propose state commands now. */
    public boolean ready() {
        LeaderClock c = clock;
        return c != null && c.renewed();
    }

    /**
     * Proposes a command, waiting for its result: stamped here when this node leads and has
     * taken over the lease clock, else unstamped for the leader to stamp. With an idempotency
     * key the request is fingerprinted before it is stamped: a retry carries another stamp
     * but is the same request.
     *
     * @throws io.latchkey.node.ReplicaException if it is not known to have been applied, or
     *                                           the key was applied with another request
     */
    public Result propose(Command.Builder command, String idempotencyKey, Duration timeout) {
        String key = idempotencyKey == null ? "" : idempotencyKey;
        ByteString fingerprint = key.isEmpty() ? ByteString.EMPTY : fingerprint(command.clearStamp().build());
        LeaderClock c = clock;
        Proposal proposal;
        if (c != null && c.renewed()) {
            LeaderStamp stamp = c.stamp();
            proposal = new Proposal(command.setStamp(stamp).build().toByteString(), key, fingerprint, stamp.getLeaseClockMillis());
        } else {
            proposal = new Proposal(command.build().toByteString(), key, fingerprint, Proposal.UNSTAMPED);
        }
        return decode(ReplicaLoop.join(loop().propose(proposal, timeout)));
    }

    /**
     * The replica's {@link ProposalStamper}: stamps a command proposed unstamped (at a follower,
     * or here before the takeover) once this node has taken over the lease clock of {@code term}.
     */
    private ProposalStamper.Stamped stamp(ByteString payload, long term) {
        LeaderClock c = clock;
        if (c == null || !c.renewed() || c.term() != term) {
            return null;
        }
        LeaderStamp stamp = c.stamp();
        try {
            return new ProposalStamper.Stamped(Command.parseFrom(payload).toBuilder().setStamp(stamp).build().toByteString(),
                    stamp.getLeaseClockMillis());
        } catch (InvalidProtocolBufferException e) {
            // Another member proposed something that is not a command: append it unstamped, and
            // the state machine refuses it like any undecodable entry.
            return new ProposalStamper.Stamped(payload, stamp.getLeaseClockMillis());
        }
    }

    /**
     * SHA-256 of the unstamped command: its operation, fields and requester. Protobuf-java
     * writes a message without map fields in field order, so equal requests give equal bytes.
     */
    static ByteString fingerprint(Command unstamped) {
        return Sha256.of(unstamped.toByteString());
    }

    private Result proposeDuty(Command command) {
        Proposal proposal = Proposal.of(command.toByteString(), command.getStamp().getLeaseClockMillis());
        return decode(ReplicaLoop.join(loop().propose(proposal, PROPOSAL_TIMEOUT)));
    }

    /** The leader's lease clock, for remaining times; the replicated clock elsewhere. */
    public long leaseClockMillis() {
        LeaderClock c = clock;
        return c != null ? c.nowMillis() : -1;
    }

    private void runDuties() {
        try {
            ReplicaHost host = service.host();
            if (host == null || host.loop().failure() != null) {
                clock = null;
                return;
            }
            if (stamping != host) {
                ReplicaLoop.join(host.loop().query(r -> {
                    r.setProposalStamper(this::stamp);
                    return null;
                }, Duration.ofSeconds(2)));
                stamping = host;
            }
            Observation o = ReplicaLoop.join(host.loop().query(r -> new Observation(r.leaderId() == r.id(), r.term(),
                    r.appliedIndex(), r.status().basic().hardState().getCommit(), stateMachine.view().leaseClockMillis()),
                    Duration.ofSeconds(2)));
            LeaderClock c = clock;
            if (!o.leader()) {
                clock = null;
                return;
            }
            if (c == null || c.term() != o.term()) {
                // Take over the clock only once the entries of earlier terms are applied, so the
                // base is the clock those leaders left behind.
                if (o.applied() < o.commit()) {
                    clock = null;
                    return;
                }
                c = new LeaderClock(o.term(), o.replicatedClockMillis(), System.nanoTime(), false);
                clock = c;
            }
            if (!c.renewed()) {
                renew(c);
            } else {
                expire(c);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "leader duties skipped a round: " + e);
        }
    }

    private void renew(LeaderClock c) {
        Command renew = Command.newBuilder().setStamp(c.stamp()).setRenewAllLeases(RenewAllLeases.getDefaultInstance()).build();
        Result result = proposeDuty(renew);
        if (result.getStatus() == Status.OK && clock == c) {
            clock = new LeaderClock(c.term(), c.baseMillis(), c.takeoverNanos(), true);
        }
    }

    private void expire(LeaderClock c) {
        long now = c.nowMillis();
        List<Long> expired = ReplicaLoop.join(loop().query(r -> stateMachine.view().expiredLeases(now), Duration.ofSeconds(2)));
        if (expired.isEmpty()) {
            return;
        }
        Command command = Command.newBuilder().setStamp(c.stamp())
                .setExpireLeases(ExpireLeases.newBuilder().addAllLeaseIds(expired)).build();
        Result result = proposeDuty(command);
        metrics.leasesExpired(result.getRevoked().getIdsCount());
    }

    private ReplicaLoop loop() {
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        return host.loop();
    }

    static Result decode(ByteString bytes) {
        try {
            return Result.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the state machine returned an undecodable result", e);
        }
    }

}
