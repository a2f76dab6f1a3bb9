package io.latchkey.raft;

/**
 * Receives the state-machine events of one Raft instance, for trace validation against
 * etcd-io/raft's TLA+ specification ({@code tla/Traceetcdraft.tla}); etcd's {@code TraceLogger}
 * from {@code state_trace.go}. Set it with {@link Config#traceLogger}; without one no event is
 * built.
 *
 * <p>Called on the thread that drives the Raft instance, inside {@code step}, {@code tick} and
 * {@code Ready} handling: it must not block and must not call back into the node. An event's
 * {@link TracingEvent#toJson()} is the object etcd writes under {@code "event"} in its ndjson
 * trace lines ({@code {"tag":"trace","event":{...}}}).
 */
@FunctionalInterface
public interface TraceLogger {
    void traceEvent(TracingEvent event);
}
