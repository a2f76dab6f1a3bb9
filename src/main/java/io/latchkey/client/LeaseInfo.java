package io.latchkey.client;

import java.util.List;

/** A lease as read: time left on the leader's clock, and the keys and locks it holds or awaits. */
public record LeaseInfo(long id, long ttlSeconds, long remainingMillis, List<String> keys, List<String> locks,
                        List<String> awaitedLocks) {
}
