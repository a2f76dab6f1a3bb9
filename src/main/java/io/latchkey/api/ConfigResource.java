package io.latchkey.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.latchkey.security.Caller;
import io.latchkey.security.ClientAuth;
import jakarta.annotation.security.RolesAllowed;
import io.latchkey.state.KeyPage;
import io.latchkey.state.Limits;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.KeyWritten;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Versioned config keys: put (with compare-and-set, lease and fencing), get, delete, list.
 * {@code GET /v1/config/watch} is the event stream of {@link WatchResource}, which also takes
 * the writes of the key named {@code watch} and passes them on here.
 */
@ApplicationScoped
@Path("/v1/config")
public class ConfigResource {
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final Map<String, String> FIELDS = Map.of(
            "expected_mod_revision", "expectedRevision",
            "lease_id", "leaseId",
            "fence.token", "token",
            "fence.lock", "lock",
            "key", "key",
            "value", "value");

    private final StateAccess state;
    private final ClientAuth auth;

    /**
     * The current request's security context: a proxy Jersey injects once, asked only with auth
     * on. As a method parameter it was looked up in the request scope on every call (~6% of a
     * serializable get's CPU, BENCHMARKS.md "JAX-RS CPU per request").
     */
    @Context
    SecurityContext security;

    @Inject
    public ConfigResource(StateAccess state, ClientAuth auth) {
        this.state = state;
        this.auth = auth;
    }

    public record WrittenJson(String key, long revision, long version) {
    }

    /** {@code value} when the bytes are UTF-8 text, else {@code valueBase64}. */
    public record KeyJson(String key, String value, String valueBase64, long createRevision, long modRevision,
                          long version, Long leaseId, long revision) {
    }

    public record KeyListJson(long revision, List<KeyJson> keys, boolean more) {
    }

    @PUT
    @Path("{key: .+}")
    @RolesAllowed(Caller.WRITER)
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    @Produces(MediaType.APPLICATION_JSON)
    public WrittenJson put(@PathParam("key") String key, byte[] body,
                           @QueryParam("expectedRevision") Long expectedRevision,
                           @QueryParam("leaseId") Long leaseId,
                           @QueryParam("lock") String lock,
                           @QueryParam("token") Long token,
                           @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkKey("key", key));
        auth.requireFor(security, Caller.WRITER, key, "key");
        // The array is this request's own: wrapped, not copied.
        ByteString value = body == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(body);
        if (value.size() > Limits.VALUE_SIZE_BYTES_MAX) {
            throw new ProblemException(413, "Value too large",
                    "value has " + value.size() + " bytes; at most " + Limits.VALUE_SIZE_BYTES_MAX + " are allowed", "value");
        }
        PutKey.Builder put = PutKey.newBuilder().setKey(key).setValue(value);
        if (expectedRevision != null) {
            StateAccess.check(Limits.checkExpectedRevision("expectedRevision", expectedRevision));
            put.setExpectedModRevision(expectedRevision);
        }
        if (leaseId != null) {
            StateAccess.check(Limits.checkPositive("leaseId", leaseId));
            put.setLeaseId(leaseId);
        }
        fence(lock, token).ifPresent(put::setFence);
        Result result = state.write(Command.newBuilder().setPutKey(put), auth.caller(security), idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        return written(result.getWritten());
    }

    @DELETE
    @Path("{key: .+}")
    @RolesAllowed(Caller.WRITER)
    @Produces(MediaType.APPLICATION_JSON)
    public WrittenJson delete(@PathParam("key") String key,
                              @QueryParam("expectedRevision") Long expectedRevision,
                              @QueryParam("lock") String lock,
                              @QueryParam("token") Long token,
                              @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        StateAccess.check(Limits.checkKey("key", key));
        auth.requireFor(security, Caller.WRITER, key, "key");
        DeleteKey.Builder delete = DeleteKey.newBuilder().setKey(key);
        if (expectedRevision != null) {
            StateAccess.check(Limits.checkExpectedRevision("expectedRevision", expectedRevision));
            delete.setExpectedModRevision(expectedRevision);
        }
        fence(lock, token).ifPresent(delete::setFence);
        Result result = state.write(Command.newBuilder().setDeleteKey(delete), idempotencyKey);
        StateAccess.requireSuccess(result, FIELDS::get);
        return written(result.getWritten());
    }

    @GET
    @Path("{key: .+}")
    @RolesAllowed(Caller.READER)
    @Produces({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.APPLICATION_OCTET_STREAM})
    public Response get(@PathParam("key") String key,
                        @QueryParam("consistency") String consistency,
                        @HeaderParam(HttpHeaders.ACCEPT) String accept) {
        StateAccess.check(Limits.checkKey("key", key));
        auth.requireFor(security, Caller.READER, key, "key");
        record Found(KeyValue kv, long revision) {
        }
        Found found = state.read(consistency, view -> view.key(key).map(kv -> new Found(kv, view.revision())).orElse(null));
        if (found == null) {
            throw new ProblemException(404, "Not found", "no key " + key, "key");
        }
        String etag = "\"" + found.kv().getModRevision() + "\"";
        if (wantsRaw(accept)) {
            String type = accept.contains(MediaType.TEXT_PLAIN) ? MediaType.TEXT_PLAIN : MediaType.APPLICATION_OCTET_STREAM;
            return Response.ok(found.kv().getValue().toByteArray(), type).header(HttpHeaders.ETAG, etag).build();
        }
        return Response.ok(json(found.kv(), found.revision()), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, etag).build();
    }

    @GET
    @RolesAllowed(Caller.READER)
    @Produces(MediaType.APPLICATION_JSON)
    public KeyListJson list(@QueryParam("prefix") String prefix,
                            @QueryParam("limit") Integer limit,
                            @QueryParam("consistency") String consistency) {
        String p = prefix == null ? "" : prefix;
        StateAccess.check(Limits.checkPrefix("prefix", p));
        auth.requireFor(security, Caller.READER, p, "prefix");
        int l = limit == null ? Limits.LIST_LIMIT_COUNT_MAX : limit;
        StateAccess.check(Limits.checkListLimit("limit", l));
        KeyPage page = state.read(consistency, view -> view.keys(p, "", l));
        return new KeyListJson(page.revision(), page.keys().stream().map(kv -> json(kv, page.revision())).toList(), page.more());
    }

    private static WrittenJson written(KeyWritten written) {
        return new WrittenJson(written.getKey(), written.getRevision(), written.getVersion());
    }

    private static KeyJson json(KeyValue kv, long revision) {
        String text = utf8(kv.getValue());
        return new KeyJson(kv.getKey(), text, text == null ? Base64.getEncoder().encodeToString(kv.getValue().toByteArray()) : null,
                kv.getCreateRevision(), kv.getModRevision(), kv.getVersion(), kv.getLeaseId() == 0 ? null : kv.getLeaseId(), revision);
    }

    private static boolean wantsRaw(String accept) {
        return accept != null && !accept.contains(MediaType.APPLICATION_JSON)
                && (accept.contains(MediaType.TEXT_PLAIN) || accept.contains(MediaType.APPLICATION_OCTET_STREAM));
    }

    private static Optional<Fence> fence(String lock, Long token) {
        if (lock == null && token == null) {
            return Optional.empty();
        }
        if (lock == null) {
            throw ProblemException.badField("lock", "lock is required with token");
        }
        if (token == null) {
            throw ProblemException.badField("token", "token is required with lock");
        }
        StateAccess.check(Limits.checkLockName("lock", lock));
        StateAccess.check(Limits.checkPositive("token", token));
        return Optional.of(Fence.newBuilder().setLock(lock).setToken(token).build());
    }

    /** The bytes as text if they are valid UTF-8, else null (checked in place: no copy, no decoder per call). */
    static String utf8(ByteString bytes) {
        return bytes.isValidUtf8() ? bytes.toStringUtf8() : null;
    }
}
