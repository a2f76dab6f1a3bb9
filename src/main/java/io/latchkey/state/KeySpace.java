package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.KeyValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Config keys, the index of keys by lease, and the watch history their changes feed. Callers
 * check preconditions first; the methods here only change state.
 */
final class KeySpace {
    private final TreeMap<String, KeyValue> keys = new TreeMap<>();
    /** Keys attached to each lease; derived from {@link #keys}, so rebuilt on restore. */
    private final TreeMap<Long, TreeSet<String>> keysByLease = new TreeMap<>();
    private final RevisionCounter revisions;
    private final WatchHistory history;
    private final Notifications notifications;
    /** Serialized bytes of every KeyValue; kept as keys change, recomputed on restore. */
    private long sizeBytes;

    KeySpace(RevisionCounter revisions, WatchHistory history, Notifications notifications) {
        this.revisions = revisions;
        this.history = history;
        this.notifications = notifications;
    }

    /** The key, or null. */
    KeyValue get(String key) {
        return keys.get(key);
    }

    /** The key's mod revision, 0 when it does not exist (what a CAS compares). */
    long modRevision(String key) {
        KeyValue kv = keys.get(key);
        return kv == null ? 0 : kv.getModRevision();
    }

    KeyValue put(String key, ByteString value, long leaseId) {
        long revision = revisions.next();
        KeyValue old = keys.get(key);
        KeyValue kv = KeyValue.newBuilder()
                .setKey(key)
                .setValue(value)
                .setCreateRevision(old == null ? revision : old.getCreateRevision())
                .setModRevision(revision)
                .setVersion(old == null ? 1 : old.getVersion() + 1)
                .setLeaseId(leaseId)
                .build();
        if (old != null) {
            unindex(old);
            sizeBytes -= old.getSerializedSize();
        }
        keys.put(key, kv);
        sizeBytes += kv.getSerializedSize();
        index(kv);
        record(Event.newBuilder().setType(Event.Type.PUT).setKey(key).setValue(value)
                .setModRevision(revision).setCreateRevision(kv.getCreateRevision()).setVersion(kv.getVersion()).build());
        return kv;
    }

    /** Deletes an existing key; returns the delete's revision. */
    long delete(String key) {
        KeyValue old = keys.remove(key);
        Invariants.check(old != null, "delete of missing key %s", key);
        unindex(old);
        sizeBytes -= old.getSerializedSize();
        long revision = revisions.next();
        record(Event.newBuilder().setType(Event.Type.DELETE).setKey(key)
                .setModRevision(revision).setCreateRevision(old.getCreateRevision()).build());
        return revision;
    }

    /** Keys attached to the lease, in key order (a copy: callers delete while iterating). */
    List<String> keysOf(long leaseId) {
        SortedSet<String> attached = keysByLease.get(leaseId);
        return attached == null ? List.of() : List.copyOf(attached);
    }

    KeyPage list(String prefix, String startAfter, int limit) {
        List<KeyValue> page = new ArrayList<>();
        String from = startAfter.compareTo(prefix) > 0 ? startAfter : prefix;
        boolean inclusive = !from.equals(startAfter);
        for (Map.Entry<String, KeyValue> entry : keys.tailMap(from, inclusive).entrySet()) {
            if (!entry.getKey().startsWith(prefix)) {
                break;
            }
            if (page.size() == limit) {
                return new KeyPage(page, true, revisions.current());
            }
            page.add(entry.getValue());
        }
        return new KeyPage(page, false, revisions.current());
    }

    /** What the quota counts of the keys: their serialized size, values included. */
    long sizeBytes() {
        return sizeBytes;
    }

    /**
     * An upper bound of the growth a put would cause, from replicated state only: the new
     * KeyValue (its revisions at most as long as the next revision's) less the old one, plus
     * its history event (which may evict older events, not counted).
     */
    long putGrowthBytesMax(String key, ByteString value, long leaseId) {
        long next = revisions.current() + 1;
        KeyValue old = keys.get(key);
        KeyValue bound = KeyValue.newBuilder().setKey(key).setValue(value).setCreateRevision(next).setModRevision(next)
                .setVersion(old == null ? 1 : old.getVersion() + 1).setLeaseId(leaseId).build();
        Event event = Event.newBuilder().setType(Event.Type.PUT).setKey(key).setValue(value).setModRevision(next)
                .setCreateRevision(next).setVersion(bound.getVersion()).build();
        return bound.getSerializedSize() - (old == null ? 0 : old.getSerializedSize()) + event.getSerializedSize();
    }

    Collection<KeyValue> all() {
        return keys.values();
    }

    void restore(List<KeyValue> snapshotKeys) {
        keys.clear();
        keysByLease.clear();
        sizeBytes = 0;
        for (KeyValue kv : snapshotKeys) {
            keys.put(kv.getKey(), kv);
            index(kv);
            sizeBytes += kv.getSerializedSize();
        }
    }

    private void record(Event event) {
        history.append(event);
        notifications.add(listener -> listener.keyChanged(event));
    }

    private void index(KeyValue kv) {
        if (kv.getLeaseId() != 0) {
            keysByLease.computeIfAbsent(kv.getLeaseId(), id -> new TreeSet<>()).add(kv.getKey());
        }
    }

    private void unindex(KeyValue kv) {
        if (kv.getLeaseId() == 0) {
            return;
        }
        TreeSet<String> attached = keysByLease.get(kv.getLeaseId());
        attached.remove(kv.getKey());
        if (attached.isEmpty()) {
            keysByLease.remove(kv.getLeaseId());
        }
    }
}
