package io.latchkey.raft.datadriven;

import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs data-driven test files in the format of github.com/cockroachdb/datadriven, as
 * etcd-io/raft uses it:
 *
 * <pre>
 * # comment (also after a directive: everything from '#' on is ignored)
 * cmd arg key=val key=(a, b) \
 *     continued-arg
 * input lines
 * ----
 * expected output, ending at the first blank line
 *
 * cmd
 * ----
 * ----
 * output that may contain
 *
 * blank lines
 * ----
 * ----
 * </pre>
 *
 * Each directive is handed to a {@link Handler}, whose answer must equal the expected output
 * (a missing final newline is added). The first mismatch fails the file, as in datadriven:
 * handlers are usually stateful and later directives depend on earlier ones.
 *
 * <p>Files the project owns can be regenerated from the handlers' answers with
 * {@code -Dlatchkey.rewrite=true} through {@link #runTestRewritable}; {@link #runTest}
 * never writes, so reference data (such as etcd's conformance files) stays pristine.
 */
public final class DataDriven {
    /** System property that turns on rewriting in {@link #runTestRewritable}. */
    public static final String REWRITE_PROPERTY = "latchkey.rewrite";

    private static final String SEPARATOR = "----";
    private static final Pattern DIRECTIVE_FIELD =
            Pattern.compile("^ *[-a-zA-Z0-9/_,.]+(|=[-a-zA-Z0-9_@=+/,.]*|=\\([^)]*\\))( |$)");

    private DataDriven() {
    }

    /** Answers one directive with the output it produces. */
    @FunctionalInterface
    public interface Handler {
        String handle(TestData d) throws Exception;
    }

    /** Checks every directive of {@code file} against {@code handler}; never rewrites. */
    public static void runTest(Path file, Handler handler) {
        run(file, handler, false);
    }

    /**
     * Like {@link #runTest}, but with {@code -Dlatchkey.rewrite=true} replaces the expected
     * outputs in {@code file} by what the handler answers instead of comparing.
     */
    public static void runTestRewritable(Path file, Handler handler) {
        run(file, handler, Boolean.getBoolean(REWRITE_PROPERTY));
    }

    /** Parses {@code content} without running anything; {@code name} is used in positions. */
    public static List<TestData> parse(String name, String content) {
        Reader r = new Reader(name, content);
        List<TestData> all = new ArrayList<>();
        for (TestData d = r.next(); d != null; d = r.next()) {
            all.add(d);
        }
        return all;
    }

    /**
     * Splits a directive line into the command and its arguments. Values in parentheses are
     * split at commas and trimmed; "()" and other two-character values stay as they are.
     */
    public static TestData parseDirective(String pos, String line) {
        List<String> fields = new ArrayList<>();
        String rest = line;
        while (!rest.isEmpty()) {
            Matcher m = DIRECTIVE_FIELD.matcher(rest);
            if (!m.find()) {
                throw new DataDrivenException(pos + ": cannot parse directive at column "
                        + (line.length() - rest.length() + 1) + ": " + line);
            }
            fields.add(rest.substring(0, m.end()).strip());
            rest = rest.substring(m.end());
        }
        if (fields.isEmpty()) {
            throw new DataDrivenException(pos + ": empty directive");
        }
        List<CmdArg> args = new ArrayList<>();
        for (String field : fields.subList(1, fields.size())) {
            int eq = field.indexOf('=');
            if (eq < 0) {
                args.add(new CmdArg(field, List.of()));
                continue;
            }
            String val = field.substring(eq + 1);
            List<String> vals = new ArrayList<>();
            if (val.length() > 2 && val.charAt(0) == '(' && val.charAt(val.length() - 1) == ')') {
                for (String v : val.substring(1, val.length() - 1).split(",", -1)) {
                    vals.add(v.strip());
                }
            } else {
                vals.add(val);
            }
            args.add(new CmdArg(field.substring(0, eq), vals));
        }
        return new TestData(pos, fields.getFirst(), args, "", "");
    }

    private static void run(Path file, Handler handler, boolean rewrite) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Reader r = new Reader(file.toString(), content);
        for (TestData d = r.next(); d != null; d = r.next()) {
            String actual = answer(handler, d);
            if (rewrite) {
                r.emitOutput(actual);
            } else if (!d.expected().equals(actual)) {
                throw mismatch(d, actual);
            }
        }
        if (rewrite) {
            String updated = r.rewritten();
            if (!updated.equals(content)) {
                try {
                    Files.writeString(file, updated, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private static String answer(Handler handler, TestData d) {
        String actual;
        try {
            actual = handler.handle(d);
        } catch (DataDrivenException | AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new DataDrivenException(d.pos() + ": " + d.directive() + ": " + e, e);
        }
        if (!actual.isEmpty() && !actual.endsWith("\n")) {
            actual += "\n";
        }
        return actual;
    }

    private static AssertionFailedError mismatch(TestData d, String actual) {
        String message = d.pos() + ": " + d.directive()
                + (d.input().isEmpty() ? "" : "\n" + d.input())
                + "\noutput differs (- expected, + actual):\n" + LineDiff.diff(d.expected(), actual);
        return new AssertionFailedError(message, d.expected(), actual);
    }

    /** Reads directives one at a time, recording everything but the outputs for rewriting. */
    private static final class Reader {
        private final String name;
        private final List<String> lines;
        private int next;
        private final StringBuilder rewrite = new StringBuilder();

        Reader(String name, String content) {
            this.name = name;
            List<String> split = new ArrayList<>(List.of(content.split("\n", -1)));
            // A final newline ends the last line rather than starting an empty one.
            if (!split.isEmpty() && split.getLast().isEmpty()) {
                split.removeLast();
            }
            this.lines = split.stream().map(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l).toList();
        }

        private boolean hasLine() {
            return next < lines.size();
        }

        private String scan() {
            return lines.get(next++);
        }

        private void emit(String line) {
            rewrite.append(line).append('\n');
        }

        TestData next() {
            while (hasLine()) {
                String pos = name + ":" + (next + 1);
                String raw = scan();
                emit(raw);
                String line = raw;
                int hash = line.indexOf('#');
                if (hash >= 0) {
                    line = line.substring(0, hash);
                }
                line = line.stripTrailing();
                if (line.isEmpty()) {
                    continue;
                }
                while (line.endsWith("\\") && hasLine()) {
                    String continued = scan();
                    emit(continued);
                    line = line.substring(0, line.length() - 1) + " " + continued.strip();
                }
                TestData directive = parseDirective(pos, line);

                StringBuilder input = new StringBuilder();
                boolean separator = false;
                while (hasLine()) {
                    String l = scan();
                    if (l.equals(SEPARATOR)) {
                        separator = true;
                        break;
                    }
                    emit(l);
                    input.append(l).append('\n');
                }
                String expected = separator ? readExpected(pos) : "";
                return new TestData(pos, directive.cmd(), directive.cmdArgs(), input.toString().strip(), expected);
            }
            return null;
        }

        private String readExpected(String pos) {
            StringBuilder buf = new StringBuilder();
            if (!hasLine()) {
                return "";
            }
            String line = scan();
            if (line.equals(SEPARATOR)) {
                // Double separator: the output runs until a "----" line pair, blank lines included.
                while (hasLine()) {
                    line = scan();
                    if (line.equals(SEPARATOR) && hasLine()) {
                        String line2 = scan();
                        if (line2.equals(SEPARATOR)) {
                            if (hasLine() && !scan().isEmpty()) {
                                throw new DataDrivenException(pos
                                        + ": non-blank line after end of double ---- separator section");
                            }
                            return buf.toString();
                        }
                        buf.append(line).append('\n');
                        line = line2;
                    }
                    buf.append(line).append('\n');
                }
                return buf.toString();
            }
            // Single separator: the output ends at the first blank line.
            while (!line.isBlank()) {
                buf.append(line).append('\n');
                if (!hasLine()) {
                    break;
                }
                line = scan();
            }
            return buf.toString();
        }

        /** Writes a directive's new output in the form the reader reads back. */
        void emitOutput(String actual) {
            emit(SEPARATOR);
            if (actual.lines().anyMatch(String::isBlank)) {
                emit(SEPARATOR);
                rewrite.append(actual);
                emit(SEPARATOR);
                emit(SEPARATOR);
                emit("");
            } else {
                // actual ends in a newline, so this also writes the blank line ending the block.
                emit(actual);
            }
        }

        String rewritten() {
            String s = rewrite.toString();
            // Every block ends with a blank line; the file should not.
            return s.endsWith("\n\n") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
