package io.latchkey.node;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A replica's recent {@link StateHash}es: one at every applied index that is a multiple of the
 * interval. The indexes depend on the log alone, not on when a member started or snapshotted,
 * so members hash at the same indexes and their hashes can be compared. A hash costs one
 * serialization of the state (what a snapshot costs), made off the replica's thread from a
 * capture taken on it, like a snapshot's.
 */
public final class StateHashes {
    /** Enough to overlap with a member a few intervals behind or ahead. */
    static final int KEPT = 8;

    private final ArrayDeque<StateHash> recent = new ArrayDeque<>(KEPT);
    private long intervalEntries;
    /** The last index claimed for hashing; its hash may still be on its way. */
    private long claimedIndex;

    /** Hash every {@code entries} applied entries from now on; 0 turns hashing off. */
    void setInterval(long entries) {
        if (entries < 0) {
            throw new IllegalArgumentException("the state hash interval must not be negative, is " + entries);
        }
        this.intervalEntries = entries;
    }

    /** Whether the state after {@code appliedIndex} is to be hashed; if so, it is claimed (asked once). */
    boolean claim(long appliedIndex) {
        if (intervalEntries > 0 && appliedIndex > claimedIndex && appliedIndex % intervalEntries == 0) {
            claimedIndex = appliedIndex;
            return true;
        }
        return false;
    }

    /** The SHA-256 (hex) of {@code state}, the replica's deterministic serialization; any thread. */
    static String hash(SnapshotImage state) {
        try {
            return HexFormat.of().formatHex(state.sha256());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records the hash of the state after {@code index}; hashes arrive in index order. */
    void record(long index, String sha256) {
        if (recent.size() == KEPT) {
            recent.removeFirst();
        }
        recent.addLast(new StateHash(index, sha256));
    }

    List<StateHash> recent() {
        return List.copyOf(recent);
    }

    /**
     * How two members' recent hashes compare.
     *
     * @param agreedIndex the highest index both hashed alike, or 0
     * @param mismatch    the first index both hashed differently, or null
     */
    public record Comparison(long agreedIndex, Mismatch mismatch) {
    }

    /** Two hashes of one index that differ: one of the two states diverged. */
    public record Mismatch(long index, String localSha256, String memberSha256) {
    }

    /** Compares this member's hashes with another's at the indexes both have. */
    public static Comparison compare(List<StateHash> local, List<StateHash> member) {
        Map<Long, String> theirs = member.stream().collect(Collectors.toMap(StateHash::index, StateHash::sha256Hex, (a, b) -> a));
        long agreed = 0;
        for (StateHash hash : local) {
            String other = theirs.get(hash.index());
            if (other == null) {
                continue;
            }
            if (!other.equals(hash.sha256Hex())) {
                return new Comparison(agreed, new Mismatch(hash.index(), hash.sha256Hex(), other));
            }
            agreed = Math.max(agreed, hash.index());
        }
        return new Comparison(agreed, null);
    }
}
