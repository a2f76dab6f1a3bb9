package io.latchkey.api;

import io.helidon.http.HeaderNames;
import io.latchkey.state.Limits;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.GrantLease;
import io.latchkey.state.proto.KeepAlive;
import io.latchkey.state.proto.LeaseInfo;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.RevokeLease;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;

import java.util.Map;
import java.util.Set;

/**
 * Leases: time-limited sessions that hold locks and keys, kept alive by their client. Served
 * through {@link StateRoutes}.
 */
@ApplicationScoped
public class LeaseResource {
    static final RouteTable<LeaseResource> ROUTES = new RouteTable<LeaseResource>()
            .add("POST", "/v1/leases", LeaseResource::grant)
            .add("POST", "/v1/leases/{id}/keepalive", LeaseResource::keepAlive)
            .add("GET", "/v1/leases/{id}", LeaseResource::get)
            .add("DELETE", "/v1/leases/{id}", LeaseResource::revoke);
    private static final Map<String, String> FIELDS = Map.of("ttl_seconds", "ttlSeconds", "lease_id", "id");
    private static final Set<String> GRANT_FIELDS = Set.of("ttlSeconds");

    private final StateAccess state;
    private final LeaderForwarding forwarding;

    @Inject
    public LeaseResource(StateAccess state, LeaderForwarding forwarding) {
        this.state = state;
        this.forwarding = forwarding;
    }


    void grant(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        JsonObject body = x.jsonBody();
        JsonText.requireOnly(body, GRANT_FIELDS);
        Long ttlSeconds = JsonText.longField(body, "ttlSeconds");
        if (ttlSeconds == null) {
            throw ProblemException.badField("ttlSeconds", "ttlSeconds is required");
        }
        StateAccess.check(Limits.checkTtlSeconds("ttlSeconds", ttlSeconds));
        Result result = state.write(Command.newBuilder().setGrantLease(GrantLease.newBuilder().setTtlSeconds(ttlSeconds)),
                x.header(ApiExchange.IDEMPOTENCY_KEY));
        StateAccess.requireSuccess(result, FIELDS::get);
        LeaseInfo lease = result.getLease();
        x.header(HeaderNames.LOCATION, x.absoluteUrl("/v1/leases/" + lease.getId()))
                .json(201, JsonText.object().field("id", lease.getId()).field("ttlSeconds", lease.getTtlSeconds()));
    }

    void keepAlive(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        long id = x.pathLong("id");
        StateAccess.check(Limits.checkPositive("id", id));
        Result result = state.write(Command.newBuilder().setKeepAlive(KeepAlive.newBuilder().setLeaseId(id)),
                x.header(ApiExchange.IDEMPOTENCY_KEY));
        StateAccess.requireSuccess(result, FIELDS::get);
        LeaseInfo lease = result.getLease();
        x.json(JsonText.object().field("id", lease.getId()).field("remainingMillis", lease.getRemainingMillis())
                .field("ttlSeconds", lease.getTtlSeconds()));
    }

    void get(ApiExchange x) {
        long id = x.pathLong("id");
        String consistency = x.query("consistency");
        StateAccess.check(Limits.checkPositive("id", id));
        long now = state.leaseNowMillis();
        LeaseInfo lease = state.read(consistency, view -> view.lease(id, now).orElse(null));
        if (lease == null) {
            throw new ProblemException(404, "Not found", "no lease " + id, "id");
        }
        x.json(JsonText.object().strings("awaitedLocks", lease.getAwaitedLocksList()).field("id", lease.getId())
                .strings("keys", lease.getKeysList()).strings("locks", lease.getHeldLocksList())
                .field("remainingMillis", lease.getRemainingMillis()).field("ttlSeconds", lease.getTtlSeconds()));
    }

    void revoke(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        long id = x.pathLong("id");
        StateAccess.check(Limits.checkPositive("id", id));
        Result result = state.write(Command.newBuilder().setRevokeLease(RevokeLease.newBuilder().setLeaseId(id)),
                x.header(ApiExchange.IDEMPOTENCY_KEY));
        StateAccess.requireSuccess(result, FIELDS::get);
        x.noContent();
    }
}
