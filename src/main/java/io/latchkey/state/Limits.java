package io.latchkey.state;

import com.google.protobuf.ByteString;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Every size and range the service accepts, in one place. The REST layer checks requests with
 * these helpers at the edge; the state machine checks every command again, so a bad entry in
 * the log is refused by every replica alike instead of corrupting the state.
 *
 * <p>Each check returns the first {@link Violation}, naming the field, or empty. The checks
 * depend on nothing that varies between JVMs (no Unicode tables), so every replica agrees.
 */
public final class Limits {
    public static final int KEY_SIZE_BYTES_MAX = 512;
    public static final int LOCK_NAME_SIZE_BYTES_MAX = KEY_SIZE_BYTES_MAX;
    public static final int VALUE_SIZE_BYTES_MAX = 1024 * 1024;
    public static final int OWNER_SIZE_BYTES_MAX = 256;
    public static final long LEASE_TTL_SECONDS_MIN = 1;
    public static final long LEASE_TTL_SECONDS_MAX = 60 * 60;
    public static final long LOCK_WAIT_MILLIS_MAX = 5 * 60 * 1000;
    /** Waiters of one lock; a queue beyond this is a client bug, not a workload. */
    public static final int LOCK_WAITERS_COUNT_MAX = 1024;
    /** Lease ids in one ExpireLeases entry, so one entry never does unbounded work. */
    public static final int EXPIRE_BATCH_LEASES_MAX = 1024;
    /** Most items one list or watch read returns. */
    public static final int LIST_LIMIT_COUNT_MAX = 1000;

    private Limits() {
    }

    /**
     * A key (or lock name): non-empty, at most {@code sizeBytesMax} bytes of UTF-8, printable
     * (no control characters, no unpaired surrogates, no line/paragraph separators, no
     * noncharacters) and with no {@code ..} segment between slashes, so that keys map onto
     * paths without escaping.
     */
    public static Optional<Violation> checkName(String field, String name, int sizeBytesMax) {
        if (name.isEmpty()) {
            return violation(field, "must not be empty");
        }
        int sizeBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (sizeBytes > sizeBytesMax) {
            return violation(field, "is " + sizeBytes + " bytes of UTF-8, more than " + sizeBytesMax);
        }
        Optional<Violation> unprintable = checkPrintable(field, name);
        if (unprintable.isPresent()) {
            return unprintable;
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                return violation(field, "must not contain a '..' segment");
            }
        }
        return Optional.empty();
    }

    public static Optional<Violation> checkKey(String field, String key) {
        return checkName(field, key, KEY_SIZE_BYTES_MAX);
    }

    public static Optional<Violation> checkLockName(String field, String name) {
        return checkName(field, name, LOCK_NAME_SIZE_BYTES_MAX);
    }

    /** A prefix for listing: like a key, but empty means everything. */
    public static Optional<Violation> checkPrefix(String field, String prefix) {
        return prefix.isEmpty() ? Optional.empty() : checkName(field, prefix, KEY_SIZE_BYTES_MAX);
    }

    public static Optional<Violation> checkValue(String field, ByteString value) {
        if (value.size() > VALUE_SIZE_BYTES_MAX) {
            return violation(field, "is " + value.size() + " bytes, more than " + VALUE_SIZE_BYTES_MAX);
        }
        return Optional.empty();
    }

    /** An owner label may be empty; when given it is printable and short. */
    public static Optional<Violation> checkOwner(String field, String owner) {
        int sizeBytes = owner.getBytes(StandardCharsets.UTF_8).length;
        if (sizeBytes > OWNER_SIZE_BYTES_MAX) {
            return violation(field, "is " + sizeBytes + " bytes of UTF-8, more than " + OWNER_SIZE_BYTES_MAX);
        }
        return checkPrintable(field, owner);
    }

    public static Optional<Violation> checkTtlSeconds(String field, long ttlSeconds) {
        if (ttlSeconds < LEASE_TTL_SECONDS_MIN || ttlSeconds > LEASE_TTL_SECONDS_MAX) {
            return violation(field, "is " + ttlSeconds + ", outside " + LEASE_TTL_SECONDS_MIN + ".."
                    + LEASE_TTL_SECONDS_MAX + " seconds");
        }
        return Optional.empty();
    }

    public static Optional<Violation> checkWaitMillis(String field, long waitMillis) {
        if (waitMillis < 0 || waitMillis > LOCK_WAIT_MILLIS_MAX) {
            return violation(field, "is " + waitMillis + ", outside 0.." + LOCK_WAIT_MILLIS_MAX + " milliseconds");
        }
        return Optional.empty();
    }

    /** Ids, tokens and tickets are positive; 0 is proto3's "not set". */
    public static Optional<Violation> checkPositive(String field, long value) {
        return value > 0 ? Optional.empty() : violation(field, "must be positive, is " + value);
    }

    /** A CAS revision: 0 (must not exist) or a revision. */
    public static Optional<Violation> checkExpectedRevision(String field, long revision) {
        return revision >= 0 ? Optional.empty() : violation(field, "must not be negative, is " + revision);
    }

    public static Optional<Violation> checkListLimit(String field, int limit) {
        if (limit < 1 || limit > LIST_LIMIT_COUNT_MAX) {
            return violation(field, "is " + limit + ", outside 1.." + LIST_LIMIT_COUNT_MAX);
        }
        return Optional.empty();
    }

    private static Optional<Violation> checkPrintable(String field, String text) {
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (!printable(codePoint)) {
                return violation(field, String.format("has the unprintable character U+%04X at index %d", codePoint, i));
            }
            i += Character.charCount(codePoint);
        }
        return Optional.empty();
    }

    private static boolean printable(int codePoint) {
        boolean control = codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
        boolean surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
        boolean separator = codePoint == 0x2028 || codePoint == 0x2029;
        boolean nonCharacter = (codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) == 0xfffe;
        return !(control || surrogate || separator || nonCharacter);
    }

    private static Optional<Violation> violation(String field, String message) {
        return Optional.of(new Violation(field, field + " " + message));
    }
}
