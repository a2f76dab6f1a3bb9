package io.latchkey.state;

import io.latchkey.state.proto.Event;

import java.util.List;

/**
 * The answer to a watch resume: the events from the asked revision on, or {@code compacted}
 * when the history no longer reaches back that far (the watcher must re-read and restart from
 * {@code compactedRevision + 1} or later).
 *
 * @param nextRevision where the watcher continues: after the last event returned, or after
 *                     the current revision when it has caught up
 */
public record WatchBatch(boolean compacted, long compactedRevision, List<Event> events, long nextRevision) {
    public WatchBatch {
        events = List.copyOf(events);
    }

    static WatchBatch compactedAt(long compactedRevision) {
        return new WatchBatch(true, compactedRevision, List.of(), compactedRevision + 1);
    }
}
