package io.latchkey.raft.datadriven;

import java.util.ArrayList;
import java.util.List;

/**
 * One directive of a data-driven test file: the command with its arguments, the input lines
 * before the {@code ----} separator and the expected output after it.
 *
 * @param pos      "file:line" of the directive, for messages
 * @param input    the input lines, trimmed of surrounding whitespace
 * @param expected the expected output, each line ending in a newline ("" for none)
 */
public record TestData(String pos, String cmd, List<CmdArg> cmdArgs, String input, String expected) {
    public TestData {
        cmdArgs = List.copyOf(cmdArgs);
    }

    public boolean hasArg(String key) {
        return cmdArgs.stream().anyMatch(a -> a.key().equals(key));
    }

    /** The first argument named {@code key}; a missing one fails the test. */
    public CmdArg arg(String key) {
        return cmdArgs.stream().filter(a -> a.key().equals(key)).findFirst()
                .orElseThrow(() -> fatal("missing argument: %s", key));
    }

    public String scanString(String key) {
        return arg(key).stringVal(0);
    }

    public long scanLong(String key) {
        return arg(key).longVal(0);
    }

    public int scanInt(String key) {
        return arg(key).intVal(0);
    }

    public boolean scanBool(String key) {
        return arg(key).boolVal(0);
    }

    /** Every value of {@code key} as a number, e.g. 1, 2, 3 for {@code key=(1,2,3)}. */
    public long[] scanLongs(String key) {
        CmdArg a = arg(key);
        long[] out = new long[a.vals().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.longVal(i);
        }
        return out;
    }

    public List<String> scanStrings(String key) {
        return new ArrayList<>(arg(key).vals());
    }

    /** An error naming this directive's position, for the handler to throw. */
    public DataDrivenException fatal(String format, Object... args) {
        return new DataDrivenException(pos + ": " + String.format(format, args));
    }

    /** The directive line as it could be written in a file. */
    public String directive() {
        StringBuilder buf = new StringBuilder(cmd);
        for (CmdArg a : cmdArgs) {
            buf.append(' ').append(a);
        }
        return buf.toString();
    }
}
