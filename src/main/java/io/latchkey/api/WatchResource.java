package io.latchkey.api;

import io.latchkey.security.Caller;
import io.latchkey.security.ClientAuth;
import jakarta.annotation.security.RolesAllowed;
import io.latchkey.state.Limits;
import io.latchkey.state.WatchBatch;
import io.latchkey.state.proto.Event;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Watches config keys under a prefix as Server-Sent Events: one event per change, with the
 * change's revision as the event id, so a client resumes with {@code fromRevision} (or
 * {@code Last-Event-ID}). History older than what the replicated watch history keeps is gone:
 * 410.
 */
@ApplicationScoped
@Path("/v1/config/watch")
public class WatchResource {
    /** Events buffered for one slow watcher before its stream is closed (it resumes by revision). */
    static final int WATCHER_BUFFER_EVENTS_MAX = 10_000;
    /** How often an idle stream is checked for a closed client. */
    private static final long IDLE_CHECK_MILLIS = 1_000;
    /**
     * How long a stream may stay silent before it sends a comment line: a client that went
     * away is only noticed when a write fails, and proxies drop connections that stay silent.
     */
    static final long HEARTBEAT_MILLIS = 5_000;

    private static final String WATCH_KEY = "watch";

    private final StateAccess state;
    private final StateEvents events;
    private final ConfigResource config;
    private final ClientAuth auth;
    private final Set<SseEventSink> openSinks = ConcurrentHashMap.newKeySet();

    @Inject
    public WatchResource(StateAccess state, StateEvents events, ConfigResource config, ClientAuth auth) {
        this.state = state;
        this.events = events;
        this.config = config;
        this.auth = auth;
    }

    /**
     * The key {@code watch} shares this resource's path; JAX-RS routes every request for
     * {@code /v1/config/watch} here, so its writes are passed on to {@link ConfigResource}.
     */
    @PUT
    @RolesAllowed(Caller.WRITER)
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    @Produces(MediaType.APPLICATION_JSON)
    public ConfigResource.WrittenJson putWatchKey(byte[] body,
                                                  @QueryParam("expectedRevision") Long expectedRevision,
                                                  @QueryParam("leaseId") Long leaseId,
                                                  @QueryParam("lock") String lock,
                                                  @QueryParam("token") Long token,
                                                  @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return config.put(WATCH_KEY, body, expectedRevision, leaseId, lock, token, idempotencyKey);
    }

    @DELETE
    @RolesAllowed(Caller.WRITER)
    @Produces(MediaType.APPLICATION_JSON)
    public ConfigResource.WrittenJson deleteWatchKey(@QueryParam("expectedRevision") Long expectedRevision,
                                                     @QueryParam("lock") String lock,
                                                     @QueryParam("token") Long token,
                                                     @HeaderParam(ConfigResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return config.delete(WATCH_KEY, expectedRevision, lock, token, idempotencyKey);
    }

    public record EventJson(String type, String key, String value, String valueBase64, long modRevision,
                            long createRevision, long version) {
    }

    @GET
    @RolesAllowed(Caller.READER)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void watch(@QueryParam("prefix") String prefix, @QueryParam("fromRevision") Long fromRevision,
                      @HeaderParam("Last-Event-ID") String lastEventId,
                      @Context SseEventSink sink, @Context Sse sse, @Context SecurityContext security) {
        String p = prefix == null ? "" : prefix;
        StateAccess.check(Limits.checkPrefix("prefix", p));
        auth.requireFor(security, Caller.READER, p, "prefix");
        Long from = fromRevision;
        if (from == null && lastEventId != null && !lastEventId.isBlank()) {
            try {
                from = Long.parseLong(lastEventId.strip()) + 1;
            } catch (NumberFormatException e) {
                throw ProblemException.badField("Last-Event-ID", "Last-Event-ID must be a revision");
            }
        }
        if (from != null && from < 1) {
            throw ProblemException.badField("fromRevision", "fromRevision must be at least 1");
        }
        BlockingQueue<Event> live = new ArrayBlockingQueue<>(WATCHER_BUFFER_EVENTS_MAX);
        AtomicBoolean overflowed = new AtomicBoolean();
        Consumer<Event> watcher = event -> {
            if (event.getKey().startsWith(p) && !live.offer(event)) {
                overflowed.set(true);
            }
        };
        // Listen first, then read the history, so nothing falls between the two.
        events.addWatcher(watcher);
        long start = from != null ? from : state.read("serializable", view -> view.revision()) + 1;
        WatchBatch history;
        try {
            history = state.read("linearizable", view -> view.eventsSince(start, p, Limits.LIST_LIMIT_COUNT_MAX));
        } catch (RuntimeException e) {
            events.removeWatcher(watcher);
            throw e;
        }
        if (history.compacted()) {
            events.removeWatcher(watcher);
            throw new ProblemException(410, "Compacted", "events before revision " + (history.compactedRevision() + 1)
                    + " are no longer kept; read the keys and watch from their revision", "fromRevision");
        }
        Thread.ofVirtual().name("watch-" + p).start(() -> stream(sink, sse, p, start, history, live, overflowed, watcher));
    }

    /** Ends every open stream when the node stops, so the server need not wait for them. */
    @PreDestroy
    void closeStreams() {
        for (SseEventSink sink : openSinks) {
            try {
                sink.close();
            } catch (RuntimeException e) {
                // Closing anyway.
            }
        }
    }

    private void stream(SseEventSink sink, Sse sse, String prefix, long start, WatchBatch history, BlockingQueue<Event> live,
                        AtomicBoolean overflowed, Consumer<Event> watcher) {
        openSinks.add(sink);
        try (sink) {
            // A first comment sends the headers at once: the client knows the watch is in place
            // before any change it makes could be missed.
            sink.send(sse.newEventBuilder().comment("watching '" + prefix + "' from revision " + start).build())
                    .toCompletableFuture().join();
            long next;
            WatchBatch batch = history;
            while (true) {
                for (Event e : batch.events()) {
                    send(sink, sse, e);
                }
                // Live events before this were in the history read (or before the start asked for).
                next = batch.nextRevision();
                if (batch.events().size() < Limits.LIST_LIMIT_COUNT_MAX) {
                    break;
                }
                long resume = next;
                batch = state.read("serializable", view -> view.eventsSince(resume, prefix, Limits.LIST_LIMIT_COUNT_MAX));
                if (batch.compacted()) {
                    return;
                }
            }
            long lastWriteNanos = System.nanoTime();
            while (!sink.isClosed()) {
                if (overflowed.get()) {
                    // The client fell too far behind: end the stream; it resumes from its last id.
                    return;
                }
                Event e = live.poll(IDLE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (e != null && e.getModRevision() >= next) {
                    send(sink, sse, e);
                    next = e.getModRevision() + 1;
                    lastWriteNanos = System.nanoTime();
                } else if (System.nanoTime() - lastWriteNanos > TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS)) {
                    sink.send(sse.newEventBuilder().comment("").build()).toCompletableFuture().join();
                    lastWriteNanos = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // The client went away or the node stopped; the client resumes by revision.
        } finally {
            events.removeWatcher(watcher);
            openSinks.remove(sink);
        }
    }

    private static void send(SseEventSink sink, Sse sse, Event e) {
        String text = ConfigResource.utf8(e.getValue());
        EventJson json = new EventJson(e.getType().name(), e.getKey(),
                e.getType() == Event.Type.DELETE ? null : text,
                e.getType() == Event.Type.DELETE || text != null ? null : Base64.getEncoder().encodeToString(e.getValue().toByteArray()),
                e.getModRevision(), e.getCreateRevision(), e.getVersion());
        sink.send(sse.newEventBuilder()
                .id(Long.toString(e.getModRevision()))
                .name(e.getType().name())
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(EventJson.class, json)
                .build()).toCompletableFuture().join();
    }
}
