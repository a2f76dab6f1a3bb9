package io.latchkey.raft.datadriven;

import java.util.List;

/**
 * One argument of a directive line: {@code key}, {@code key=val} or {@code key=(v1, v2)}.
 * A bare key has no values.
 */
public record CmdArg(String key, List<String> vals) {
    public CmdArg {
        vals = List.copyOf(vals);
    }

    /** The i-th value as text. */
    public String stringVal(int i) {
        requireIndex(i);
        return vals.get(i);
    }

    /** The i-th value as a (non-negative, Go uint64-style) number. */
    public long longVal(int i) {
        String s = stringVal(i);
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument " + key + ": invalid number \"" + s + "\"", e);
        }
    }

    public int intVal(int i) {
        String s = stringVal(i);
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument " + key + ": invalid int \"" + s + "\"", e);
        }
    }

    /** The i-th value as a bool, accepting what Go's strconv.ParseBool accepts. */
    public boolean boolVal(int i) {
        String s = stringVal(i);
        return switch (s) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new IllegalArgumentException("argument " + key + ": invalid bool \"" + s + "\"");
        };
    }

    private void requireIndex(int i) {
        if (i >= vals.size()) {
            throw new IllegalArgumentException("argument " + key + " has " + vals.size()
                    + " value(s), wanted #" + i);
        }
    }

    /** The argument as it would be written on a directive line. */
    @Override
    public String toString() {
        return switch (vals.size()) {
            case 0 -> key;
            case 1 -> key + "=" + vals.getFirst();
            default -> key + "=(" + String.join(", ", vals) + ")";
        };
    }
}
