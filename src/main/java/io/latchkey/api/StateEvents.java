package io.latchkey.api;

import io.latchkey.metrics.NodeMetrics;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.StateListener;
import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.LockGrant;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Hands what the state machine applies to the requests waiting for it: watchers get key
 * events, lock requests waiting in a queue get their grant (or learn they left the queue).
 * Called on the replica's loop thread; it only completes futures and offers to queues.
 */
@ApplicationScoped
public class StateEvents implements StateListener {
    private final LatchkeyStateMachine stateMachine;
    private final NodeMetrics metrics;
    private final CopyOnWriteArrayList<Consumer<Event>> watchers = new CopyOnWriteArrayList<>();
    private final Map<Long, CompletableFuture<LockGrant>> lockWaiters = new ConcurrentHashMap<>();

    @Inject
    public StateEvents(LatchkeyStateMachine stateMachine, NodeMetrics metrics) {
        this.stateMachine = stateMachine;
        this.metrics = metrics;
    }

    /** Registers with the state machine before the replica applies anything at start. */
    void onStartup(@jakarta.enterprise.event.Observes @jakarta.enterprise.context.Initialized(ApplicationScoped.class) Object ignored) {
        // Nothing to do: observing the event is what makes the container create this bean now.
    }

    @PostConstruct
    void listen() {
        stateMachine.setListener(this);
    }

    /** Registers a watcher; it must not block (it gets events on the loop thread). */
    public void addWatcher(Consumer<Event> watcher) {
        watchers.add(watcher);
    }

    public void removeWatcher(Consumer<Event> watcher) {
        watchers.remove(watcher);
    }

    /** A future completed when the wait with this ticket is granted, or failed when it ends otherwise. */
    public CompletableFuture<LockGrant> awaitGrant(long ticket) {
        return lockWaiters.computeIfAbsent(ticket, t -> new CompletableFuture<>());
    }

    public void forgetGrant(long ticket) {
        lockWaiters.remove(ticket);
    }

    @Override
    public void keyChanged(Event event) {
        for (Consumer<Event> watcher : watchers) {
            watcher.accept(event);
        }
    }

    @Override
    public void lockGranted(LockGrant grant) {
        metrics.lockGranted();
        CompletableFuture<LockGrant> waiting = lockWaiters.remove(grant.getTicket());
        if (waiting != null) {
            waiting.complete(grant);
        }
    }

    @Override
    public void waiterRemoved(String lockName, long ticket) {
        CompletableFuture<LockGrant> waiting = lockWaiters.remove(ticket);
        if (waiting != null) {
            waiting.completeExceptionally(new ProblemException(409, "Lock not acquired",
                    "the wait for " + lockName + " ended without a grant (its lease was revoked)", null));
        }
    }
}
