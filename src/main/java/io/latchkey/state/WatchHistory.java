package io.latchkey.state;

import io.latchkey.state.proto.Event;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last key events, bounded in count and bytes, for watch resume. It is part of the
 * replicated state (and the snapshot), so every replica, including one restored from a
 * snapshot after the log was compacted, answers a resume the same way.
 *
 * <p>Invariant: the history holds every key event with a revision above
 * {@link #compactedRevision()}; older ones are gone.
 */
final class WatchHistory {
    private final StateConfig config;
    private final TreeMap<Long, Event> eventsByRevision = new TreeMap<>();
    private long sizeBytes;
    private long compactedRevision;

    WatchHistory(StateConfig config) {
        this.config = config;
    }

    void append(Event event) {
        Invariants.check(eventsByRevision.isEmpty() || event.getModRevision() > eventsByRevision.lastKey(),
                "event revision %d not after %d", event.getModRevision(),
                eventsByRevision.isEmpty() ? 0 : eventsByRevision.lastKey());
        eventsByRevision.put(event.getModRevision(), event);
        sizeBytes += event.getSerializedSize();
        while (eventsByRevision.size() > config.historyEventsCountMax() || sizeBytes > config.historySizeBytesMax()) {
            Map.Entry<Long, Event> oldest = eventsByRevision.pollFirstEntry();
            sizeBytes -= oldest.getValue().getSerializedSize();
            compactedRevision = oldest.getKey();
        }
    }

    /** Serialized bytes of the events kept. */
    long sizeBytes() {
        return sizeBytes;
    }

    long compactedRevision() {
        return compactedRevision;
    }

    /**
     * Events with a revision of at least {@code fromRevision} whose key starts with
     * {@code prefix}, at most {@code countMax}.
     */
    WatchBatch since(long fromRevision, String prefix, int countMax, long currentRevision) {
        long from = Math.max(fromRevision, 1);
        if (from <= compactedRevision) {
            return WatchBatch.compactedAt(compactedRevision);
        }
        List<Event> events = new ArrayList<>();
        for (Event event : eventsByRevision.tailMap(from, true).values()) {
            if (!event.getKey().startsWith(prefix)) {
                continue;
            }
            events.add(event);
            if (events.size() == countMax) {
                return new WatchBatch(false, compactedRevision, events, event.getModRevision() + 1);
            }
        }
        return new WatchBatch(false, compactedRevision, events, Math.max(from, currentRevision + 1));
    }

    Collection<Event> events() {
        return eventsByRevision.values();
    }

    void restore(long compactedRevision, List<Event> events) {
        eventsByRevision.clear();
        sizeBytes = 0;
        this.compactedRevision = compactedRevision;
        for (Event event : events) {
            Invariants.check(event.getModRevision() > compactedRevision,
                    "snapshot event at %d not after compaction at %d", event.getModRevision(), compactedRevision);
            eventsByRevision.put(event.getModRevision(), event);
            sizeBytes += event.getSerializedSize();
        }
    }
}
