package io.latchkey.health;

import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.server.StateIntegrityCheck;
import io.latchkey.raft.Status;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.QuotaUsage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.time.Duration;

/**
 * MicroProfile health of the node. Started: the node came up. Live: its loop runs (a node that
 * could not start or whose loop stopped after a storage failure must be restarted). Ready: it
 * knows a leader and has applied what it knows to be committed, so it can serve requests.
 * Liveness never depends on quorum: a cluster without a leader must not be restarted pod by pod.
 */
@ApplicationScoped
public class NodeHealthChecks {
    private record Progress(long applied, boolean localReadsReady) {
    }

    /** How many committed entries a ready node may still have to apply. */
    static final long READY_APPLY_LAG_ENTRIES_MAX = 1_000;

    private final LatchkeyService service;
    private final LatchkeyStateMachine stateMachine;

    @Inject
    public NodeHealthChecks(LatchkeyService service, LatchkeyStateMachine stateMachine) {
        this.service = service;
        this.stateMachine = stateMachine;
    }

    /**
     * The state quota's alarm, like etcd's NOSPACE alarm. Always UP: the alarm is on every
     * member at once (the quota is decided on apply), and a member taken out of service or
     * restarted could not take the deletes that bring the state back under the quota.
     */
    @Produces
    @Liveness
    HealthCheck quota() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("latchkey-state-quota").up();
            ReplicaHost host = service.host();
            if (host == null) {
                return b.build();
            }
            try {
                QuotaUsage quota = host.loop().query(r -> stateMachine.view().quota(), Duration.ofSeconds(2)).get();
                b.withData("sizeBytes", quota.sizeBytes()).withData("quotaBytes", quota.quotaBytes());
                if (quota.alarm()) {
                    b.withData("alarm", "quota exceeded: puts, lease grants and lock acquires are refused with 507 until keys, locks or leases are deleted");
                }
            } catch (Exception e) {
                b.withData("reason", "loop not answering: " + e);
            }
            return b.build();
        };
    }

    /**
     * The state hash comparison with the other members (etcd's corruption check). Always UP: a
     * restart does not repair a diverged state, and taking every member out of service (the
     * alarm shows on all of them) would stop the cluster; the data says what differs.
     */
    @Produces
    @Liveness
    HealthCheck stateIntegrity() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("latchkey-state-integrity").up();
            ReplicaHost host = service.host();
            if (host == null) {
                return b.build();
            }
            return host.integrityCheck().map(check -> {
                b.withData("agreedIndex", check.agreedIndex());
                StateIntegrityCheck.Alarm alarm = check.alarm();
                if (alarm != null) {
                    b.withData("alarm", alarm.describe());
                }
                return b.build();
            }).orElseGet(() -> b.withData("checking", "off (latchkey.state.hash-check-interval-entries=0)").build());
        };
    }

    @Produces
    @Startup
    HealthCheck started() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("latchkey-started");
            ReplicaHost host = service.host();
            return host == null ? b.down().withData("reason", String.valueOf(service.startFailure())).build() : b.up().build();
        };
    }

    @Produces
    @Liveness
    HealthCheck live() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("latchkey-loop");
            ReplicaHost host = service.host();
            if (host == null) {
                return b.down().withData("reason", String.valueOf(service.startFailure())).build();
            }
            Throwable failure = host.loop().failure();
            return failure == null ? b.up().build() : b.down().withData("reason", failure.toString()).build();
        };
    }

    @Produces
    @Readiness
    HealthCheck ready() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("latchkey-ready");
            ReplicaHost host = service.host();
            if (host == null) {
                return b.down().withData("reason", String.valueOf(service.startFailure())).build();
            }
            if (host.loop().failure() != null) {
                return b.down().withData("reason", "loop stopped: " + host.loop().failure()).build();
            }
            try {
                Progress progress = host.loop().query(r -> new Progress(r.appliedIndex(), r.localReadsReady()),
                        Duration.ofSeconds(2)).get();
                long applied = progress.applied();
                Status status = host.loop().status(Duration.ofSeconds(2)).get();
                long leader = status.basic().softState().lead();
                long commit = status.basic().hardState().getCommit();
                b.withData("leader", Long.toHexString(leader)).withData("commitIndex", commit).withData("appliedIndex", applied);
                if (leader == 0) {
                    return b.down().withData("reason", "no leader known").build();
                }
                if (!host.storageReachable()) {
                    return b.down().withData("reason", "storage not reachable").build();
                }
                if (commit - applied > READY_APPLY_LAG_ENTRIES_MAX || !progress.localReadsReady()) {
                    return b.down().withData("reason", "catching up").build();
                }
                return b.up().build();
            } catch (Exception e) {
                return b.down().withData("reason", "storage or loop not answering: " + e).build();
            }
        };
    }
}
