package io.latchkey.api;

import io.latchkey.node.ReplicaLoop;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.server.StateIntegrityCheck;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.StateView;
import io.latchkey.state.Violation;
import io.latchkey.security.Caller;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.Requester;
import io.latchkey.state.proto.Result;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the resources share: reads of the state at the consistency a request asks for, writes
 * as proposals the leader stamps, and the mapping of refused commands to HTTP.
 */
@ApplicationScoped
public class StateAccess {
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final LatchkeyService service;
    private final LatchkeyStateMachine stateMachine;
    private final LeaderDuties duties;

    @Inject
    public StateAccess(LatchkeyService service, LatchkeyStateMachine stateMachine, LeaderDuties duties) {
        this.service = service;
        this.stateMachine = stateMachine;
        this.duties = duties;
    }

    /**
     * Reads the state after the barrier {@code consistency} asks for: {@code linearizable}
     * (a ReadIndex round with a quorum), {@code lease} (the leader's lease) or
     * {@code serializable} (this node's state as it is, possibly stale, but never older than
     * what it answered before: a node that just started answers 503 until it has caught up).
     */
    public <T> T read(String consistency, Function<StateView, T> query) {
        ReplicaHost host = host();
        String mode = consistency == null || consistency.isBlank() ? "linearizable" : consistency;
        switch (mode) {
            case "linearizable" -> ReplicaLoop.join(host.loop().readBarrier(ReadOnlyOption.ReadOnlySafe, READ_TIMEOUT));
            case "lease" -> ReplicaLoop.join(host.loop().readBarrier(ReadOnlyOption.ReadOnlyLeaseBased, READ_TIMEOUT));
            case "serializable" -> {
                // No barrier: whatever this replica has applied, once it has caught up since its start.
                return ReplicaLoop.join(host.loop().query(r -> {
                    if (!r.localReadsReady()) {
                        throw new ProblemException(503, "Catching up", "this node has not caught up with the cluster "
                                + "since it started; retry, or read from another node", null);
                    }
                    return query.apply(stateMachine.view());
                }, READ_TIMEOUT));
            }
            default -> throw ProblemException.badField("consistency",
                    "consistency must be linearizable, lease or serializable, got '" + consistency + "'");
        }
        return ReplicaLoop.join(host.loop().query(r -> query.apply(stateMachine.view()), READ_TIMEOUT));
    }

    /**
     * Proposes on behalf of {@code caller} (null with auth off): the state machine records its
     * subject as a granted lease's owner and refuses it other subjects' leases and locks.
     */
    public Result write(Command.Builder command, Caller caller, String idempotencyKey) {
        if (caller != null) {
            command.setRequester(Requester.newBuilder().setSubject(caller.subject()).setAdmin(caller.isAdmin()));
        }
        return write(command, idempotencyKey);
    }

    /**
     * Proposes a command through this node (raft forwards it to the leader) and waits for its
     * result; refused with 503 while this node's state corruption alarm is raised.
     */
    public Result write(Command.Builder command, String idempotencyKey, Duration timeout) {
        refuseUnderCorruptionAlarm(host());
        return duties.propose(command, scoped(command, idempotencyKey), timeout);
    }

    /**
     * etcd refuses writes under its CORRUPT alarm: a write would build on a state that two
     * members disagree about. Every client write is refused, releases and revokes too (etcd
     * refuses lease revokes); locks and leases still end by their TTL, which the leader
     * expires on its own. Reads and backups stay, for the operator to compare and save.
     */
    private static void refuseUnderCorruptionAlarm(ReplicaHost host) {
        host.integrityCheck().map(StateIntegrityCheck::alarm).ifPresent(alarm -> {
            throw new ProblemException(503, "State corruption alarm raised", alarm.describe()
                    + ". This node refuses writes until the alarm clears (every other member agreeing with it past index "
                    + alarm.index() + "): find the member whose hash differs from the majority's and replace it; reads "
                    + "and GET /v1/maintenance/snapshot still work", null);
        });
    }

    /**
     * With auth on keys are remembered per subject: another subject's key must not hand out
     * that subject's result (a lock token), nor be refused because of it. Within a subject a
     * key names one request: reused for another (another kind of write, other fields) it is
     * refused with 422, as the IETF Idempotency-Key draft says.
     */
    private static String scoped(Command.Builder command, String idempotencyKey) {
        if (idempotencyKey == null || idempotencyKey.isEmpty()) {
            return null;
        }
        String subject = command.hasRequester() ? command.getRequester().getSubject() : "";
        return subject.length() + ":" + subject + "/" + idempotencyKey;
    }

    public Result write(Command.Builder command, String idempotencyKey) {
        return write(command, idempotencyKey, LeaderDuties.PROPOSAL_TIMEOUT);
    }

    /** The time leases are measured against: the leader's lease clock, else the replicated one. */
    public long leaseNowMillis() {
        long leader = duties.leaseClockMillis();
        return leader >= 0 ? leader : ReplicaLoop.join(host().loop().query(r -> stateMachine.view().leaseClockMillis(), READ_TIMEOUT));
    }

    /** Throws the 400 for a limit violation, if any. */
    static void check(Optional<Violation> violation) {
        violation.ifPresent(v -> {
            throw ProblemException.badField(v.field(), v.message());
        });
    }

    /**
     * Maps a refused result to its problem; returns normally for OK and QUEUED. The result's
     * field names the command field; {@code fieldNames} translates it to the request's name.
     */
    static void requireSuccess(Result result, Function<String, String> fieldNames) {
        String field = result.getField().isEmpty() ? null : fieldNames.apply(result.getField());
        switch (result.getStatus()) {
            case OK, QUEUED -> {
            }
            case NOT_FOUND -> throw new ProblemException(404, "Not found", result.getMessage(), field);
            case PRECONDITION_FAILED -> throw new ProblemException(412, "Precondition failed", result.getMessage(), field);
            case NOT_HOLDER -> throw new ProblemException(409, "Not the holder", result.getMessage(), field);
            case BUSY -> throw new ProblemException(409, "Lock held", result.getMessage(), field);
            case INVALID_ARGUMENT -> throw new ProblemException(400, "Invalid request", result.getMessage(), field);
            case NOT_OWNER -> throw new ProblemException(403, "Forbidden", result.getMessage(), field);
            case RESOURCE_EXHAUSTED -> throw new ProblemException(429, "Too many waiters", result.getMessage(), field);
            case NO_SPACE -> throw new ProblemException(507, "State quota exceeded", result.getMessage(), field);
            case STALE_LEADER, STATUS_UNSPECIFIED, UNRECOGNIZED ->
                    throw new ProblemException(503, "Unavailable", "leadership changed; retry: " + result.getMessage(), null);
        }
    }

    private ReplicaHost host() {
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        return host;
    }
}
