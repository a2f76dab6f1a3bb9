package io.latchkey.api;

import com.google.protobuf.ByteString;
import io.helidon.http.HeaderNames;
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

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Versioned config keys: put (with compare-and-set, lease and fencing), get, delete, list.
 * Served through {@link StateRoutes}; the key named {@code watch} is written and deleted here,
 * while {@code GET /v1/config/watch} is the event stream of {@link WatchResource}.
 */
@ApplicationScoped
public class ConfigResource {
    static final RouteTable<ConfigResource> ROUTES = new RouteTable<ConfigResource>()
            .add("GET", "/v1/config", ConfigResource::list)
            .add("PUT", "/v1/config/{key}", ConfigResource::put)
            .add("DELETE", "/v1/config/{key}", ConfigResource::delete)
            .add("GET", "/v1/config/{key}", ConfigResource::get, List.of("application/json", "text/plain", "application/octet-stream"));
    private static final Map<String, String> FIELDS = Map.of(
            "expected_mod_revision", "expectedRevision",
            "lease_id", "leaseId",
            "fence.token", "token",
            "fence.lock", "lock",
            "key", "key",
            "value", "value");

    private final StateAccess state;
    private final LeaderForwarding forwarding;

    @Inject
    public ConfigResource(StateAccess state, LeaderForwarding forwarding) {
        this.state = state;
        this.forwarding = forwarding;
    }


    void put(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        String key = x.path("key");
        Long expectedRevision = x.queryLong("expectedRevision");
        Long leaseId = x.queryLong("leaseId");
        String lock = x.query("lock");
        Long token = x.queryLong("token");
        StateAccess.check(Limits.checkKey("key", key));
        ByteString value = ByteString.copyFrom(x.body());
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
        Result result = state.write(Command.newBuilder().setPutKey(put), x.header(ApiExchange.IDEMPOTENCY_KEY));
        StateAccess.requireSuccess(result, FIELDS::get);
        x.json(written(result.getWritten()));
    }

    void delete(ApiExchange x) {
        if (forwarding.forwarded(x)) {
            return;
        }
        String key = x.path("key");
        Long expectedRevision = x.queryLong("expectedRevision");
        String lock = x.query("lock");
        Long token = x.queryLong("token");
        StateAccess.check(Limits.checkKey("key", key));
        DeleteKey.Builder delete = DeleteKey.newBuilder().setKey(key);
        if (expectedRevision != null) {
            StateAccess.check(Limits.checkExpectedRevision("expectedRevision", expectedRevision));
            delete.setExpectedModRevision(expectedRevision);
        }
        fence(lock, token).ifPresent(delete::setFence);
        Result result = state.write(Command.newBuilder().setDeleteKey(delete), x.header(ApiExchange.IDEMPOTENCY_KEY));
        StateAccess.requireSuccess(result, FIELDS::get);
        x.json(written(result.getWritten()));
    }

    void get(ApiExchange x) {
        String key = x.path("key");
        String consistency = x.query("consistency");
        String accept = x.header(HeaderNames.ACCEPT);
        StateAccess.check(Limits.checkKey("key", key));
        record Found(KeyValue kv, long revision) {
        }
        Found found = state.read(consistency, view -> view.key(key).map(kv -> new Found(kv, view.revision())).orElse(null));
        if (found == null) {
            throw new ProblemException(404, "Not found", "no key " + key, "key");
        }
        x.header(HeaderNames.ETAG, "\"" + found.kv().getModRevision() + "\"");
        if (wantsRaw(accept)) {
            x.send(200, accept.contains("text/plain") ? ApiExchange.TEXT_PLAIN : ApiExchange.OCTET_STREAM,
                    found.kv().getValue().toByteArray());
        } else {
            x.json(json(found.kv(), found.revision()));
        }
    }

    void list(ApiExchange x) {
        String prefix = x.query("prefix");
        Integer limit = x.queryInt("limit");
        String consistency = x.query("consistency");
        String p = prefix == null ? "" : prefix;
        StateAccess.check(Limits.checkPrefix("prefix", p));
        int l = limit == null ? Limits.LIST_LIMIT_COUNT_MAX : limit;
        StateAccess.check(Limits.checkListLimit("limit", l));
        KeyPage page = state.read(consistency, view -> view.keys(p, "", l));
        x.json(JsonText.object()
                .objects("keys", page.keys().stream().map(kv -> json(kv, page.revision()).toString()).toList())
                .field("more", page.more())
                .field("revision", page.revision()));
    }

    private static JsonText written(KeyWritten written) {
        return JsonText.object().field("key", written.getKey()).field("revision", written.getRevision())
                .field("version", written.getVersion());
    }

    /** {@code value} when the bytes are UTF-8 text, else {@code valueBase64}. */
    private static JsonText json(KeyValue kv, long revision) {
        String text = utf8(kv.getValue());
        return JsonText.object()
                .field("createRevision", kv.getCreateRevision())
                .field("key", kv.getKey())
                .field("leaseId", kv.getLeaseId() == 0 ? null : kv.getLeaseId())
                .field("modRevision", kv.getModRevision())
                .field("revision", revision)
                .field("value", text)
                .field("valueBase64", text == null ? Base64.getEncoder().encodeToString(kv.getValue().toByteArray()) : null)
                .field("version", kv.getVersion());
    }

    private static boolean wantsRaw(String accept) {
        return accept != null && !accept.contains("application/json")
                && (accept.contains("text/plain") || accept.contains("application/octet-stream"));
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

    /** The bytes as text if they are valid UTF-8, else null. */
    static String utf8(ByteString bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
