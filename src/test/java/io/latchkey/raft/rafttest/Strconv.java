package io.latchkey.raft.rafttest;

/**
 * The few Go {@code strconv} parsers the harness needs, with Go's acceptance rules and error
 * texts: some of these errors end up in the expected output of a script.
 */
final class Strconv {
    private Strconv() {
    }

    /** Go's {@code strconv.ParseUint(s, 10, 64)}; values above Long.MAX_VALUE wrap like uint64. */
    static long parseUint(String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw syntax("ParseUint", s);
        }
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw range("ParseUint", s);
        }
    }

    /** Go's {@code strconv.Atoi}: an optional sign, then decimal digits. */
    static int atoi(String s) {
        String digits = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw syntax("Atoi", s);
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw range("Atoi", s);
        }
    }

    /** Go's {@code strconv.ParseBool}. */
    static boolean parseBool(String s) {
        return switch (s) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw syntax("ParseBool", s);
        };
    }

    private static InteractionError syntax(String fn, String s) {
        return new InteractionError("strconv." + fn + ": parsing " + InteractionEnv.quote(s) + ": invalid syntax");
    }

    private static InteractionError range(String fn, String s) {
        return new InteractionError("strconv." + fn + ": parsing " + InteractionEnv.quote(s) + ": value out of range");
    }
}
