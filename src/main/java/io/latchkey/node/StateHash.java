package io.latchkey.node;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The SHA-256 of a replica's applied state right after it applied {@code index}: equal on every
 * member that applied the same log, so two members' hashes at one index that differ mean that
 * one of them diverged (etcd's corruption check compares the same way).
 */
public record StateHash(long index, String sha256Hex) {
    /** The peer endpoint's text form: one {@code index hash} line per hash. */
    public static String format(List<StateHash> hashes) {
        StringBuilder text = new StringBuilder();
        for (StateHash hash : hashes) {
            text.append(hash.index).append(' ').append(hash.sha256Hex).append('\n');
        }
        return text.toString();
    }

    /** @throws IllegalArgumentException if {@code text} is not what {@link #format} writes */
    public static List<StateHash> parse(String text) {
        List<StateHash> hashes = new ArrayList<>();
        for (String line : text.lines().toList()) {
            String[] parts = line.split(" ");
            if (parts.length != 2 || parts[1].length() != 64) {
                throw new IllegalArgumentException("not a state hash line: " + line);
            }
            HexFormat.of().parseHex(parts[1]);
            hashes.add(new StateHash(Long.parseLong(parts[0]), parts[1]));
        }
        return hashes;
    }
}
