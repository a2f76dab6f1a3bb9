package io.latchkey.raft.rafttest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One directive of a datadriven interaction script, as {@link InteractionEnv#handle} consumes
 * it: the command word, its arguments in script order and the input block below the command
 * line. This keeps the harness independent of the datadriven parser; {@link #from} adapts the
 * parser's own test-data type.
 *
 * <p>The {@code scan*} helpers read argument values the way Go's datadriven {@code Scan} does.
 * A value that does not parse is a mistake in the script, not an outcome of the system under
 * test, so it fails the test (Go's {@code t.Fatal}) instead of being written to the output.
 *
 * @param cmd   the command word, e.g. {@code deliver-msgs}
 * @param args  the arguments: {@code 1} is key "1" without values, {@code drop=(2,3)} is key
 *              "drop" with values "2" and "3"
 * @param input the text between the command line and the {@code ----} separator
 * @param pos   {@code file:line} of the command, for failure messages
 */
public record Command(String cmd, List<Arg> args, String input, String pos) {
    public Command {
        args = List.copyOf(args);
    }

    /** One argument: a bare key, or a key with one or more values. */
    public record Arg(String key, List<String> vals) {
        public Arg {
            vals = List.copyOf(vals);
        }

        public static Arg of(String key, String... vals) {
            return new Arg(key, List.of(vals));
        }
    }

    /**
     * Adapts any datadriven test-data type, e.g.
     * {@code Command.from(d.cmd(), d.cmdArgs(), CmdArg::key, CmdArg::vals, d.input(), d.pos())}.
     */
    public static <A> Command from(String cmd, List<A> args, Function<A, String> key,
                                   Function<A, List<String>> vals, String input, String pos) {
        List<Arg> converted = new ArrayList<>(args.size());
        for (A a : args) {
            converted.add(new Arg(key.apply(a), vals.apply(a)));
        }
        return new Command(cmd, converted, input, pos);
    }

    /** A script mistake: fails the test with the command's position. */
    AssertionError fail(String format, Object... args) {
        throw new AssertionError(pos + ": " + cmd + ": " + String.format(Locale.ROOT, format, args));
    }

    Arg arg(int i) {
        if (i >= args.size()) {
            throw fail("expected at least %d arguments", i + 1);
        }
        return args.get(i);
    }

    /** The single value of the argument named {@code key} (datadriven's ScanArgs). */
    String scanArg(String key) {
        for (Arg a : args) {
            if (a.key().equals(key)) {
                return scan(a, 0);
            }
        }
        throw fail("missing argument: %s", key);
    }

    String scan(Arg a, int i) {
        if (i < 0 || i >= a.vals().size()) {
            throw fail("cannot scan index %d of key %s", i, a.key());
        }
        return a.vals().get(i);
    }

    long scanUint(Arg a, int i) {
        return parseOrFail(Strconv::parseUint, scan(a, i));
    }

    int scanInt(Arg a, int i) {
        return parseOrFail(Strconv::atoi, scan(a, i));
    }

    boolean scanBool(Arg a, int i) {
        return parseOrFail(Strconv::parseBool, scan(a, i));
    }

    <T> T parseOrFail(Function<String, T> parser, String s) {
        try {
            return parser.apply(s);
        } catch (InteractionError e) {
            throw fail("%s", e.getMessage());
        }
    }
}
