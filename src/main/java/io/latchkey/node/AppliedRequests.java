package io.latchkey.node;

import com.google.protobuf.ByteString;
import io.latchkey.node.proto.AppliedRequest;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The results of recent idempotent requests, in apply order, so that a retried request is
 * answered with its first result instead of being applied again.
 *
 * <p>Everything here is decided from the log, never from a local clock: a key is forgotten
 * when more than {@code countMax} newer keys were applied, or when the replicated clock —
 * the largest {@code proposed_at_millis} applied so far, i.e. the leader's lease clock — has
 * run {@code ttlMillis} past the key's application. Every replica applies the same entries,
 * so every replica forgets a key at the same entry and answers a retry alike.
 */
final class AppliedRequests {
    /** What a command with a key finds. */
    sealed interface Lookup {
        /** The key is unknown (never used, or forgotten): apply the command. */
        record Fresh() implements Lookup {
        }

        /** The same request was applied: answer with its result. */
        record Replay(ByteString result) implements Lookup {
        }

        /** The key was applied with another request: refuse, apply nothing. */
        record Reused() implements Lookup {
        }
    }

    private static final Lookup FRESH = new Lookup.Fresh();
    private static final Lookup REUSED = new Lookup.Reused();

    private final int countMax;
    private final long ttlMillis;
    /** Oldest first; applied_at_millis never decreases along it, so expiry only looks at the head. */
    private final LinkedHashMap<String, AppliedRequest> byKey = new LinkedHashMap<>();
    private long clockMillis;

    AppliedRequests(int countMax, long ttlMillis) {
        this.countMax = countMax;
        this.ttlMillis = ttlMillis;
    }

    /** Moves the replicated clock to a command's proposal time (never back) and forgets expired keys. */
    void advanceClock(long proposedAtMillis) {
        clockMillis = Math.max(clockMillis, proposedAtMillis);
        Iterator<AppliedRequest> oldest = byKey.values().iterator();
        while (oldest.hasNext() && clockMillis - oldest.next().getAppliedAtMillis() >= ttlMillis) {
            oldest.remove();
        }
    }

    /**
     * A request whose fingerprint is empty on either side (an entry or a snapshot of an older
     * version) is taken for the same request, as it was before fingerprints existed.
     */
    Lookup find(String key, ByteString fingerprint) {
        AppliedRequest earlier = byKey.get(key);
        if (earlier == null) {
            return FRESH;
        }
        boolean comparable = !fingerprint.isEmpty() && !earlier.getRequestFingerprint().isEmpty();
        if (comparable && !fingerprint.equals(earlier.getRequestFingerprint())) {
            return REUSED;
        }
        return new Lookup.Replay(earlier.getResult());
    }

    void record(String key, ByteString fingerprint, long index, ByteString result) {
        byKey.put(key, AppliedRequest.newBuilder().setIdempotencyKey(key).setIndex(index).setResult(result)
                .setRequestFingerprint(fingerprint).setAppliedAtMillis(clockMillis).build());
        while (byKey.size() > countMax) {
            byKey.remove(byKey.keySet().iterator().next());
        }
    }

    long clockMillis() {
        return clockMillis;
    }

    /** Oldest first, for a snapshot. */
    List<AppliedRequest> all() {
        return List.copyOf(byKey.values());
    }

    void restore(long clockMillis, List<AppliedRequest> requests) {
        this.clockMillis = clockMillis;
        byKey.clear();
        for (AppliedRequest r : requests) {
            byKey.put(r.getIdempotencyKey(), r);
        }
    }
}
