package io.latchkey.raft.datadriven;

import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs data-driven test files in the format of github.com/cockroachdb/datadriven, as
 * etcd-io/raft uses it:
 *
 * <pre>
 * # comment line
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
     * Splits a directive line into the command and its arguments, as datadriven's ParseLine
     * does: {@code key}, {@code key=val} (up to the next space, quotes included) or
     * {@code key=(v1, v2)}, whose values are separated by top-level commas, may contain nested
     * parentheses and lose the spaces that follow a comma.
     */
    public static TestData parseDirective(String pos, String line) {
        DirectiveParser p = new DirectiveParser(pos, line.strip());
        String cmd = p.until(" ");
        if (cmd.isEmpty()) {
            throw p.error();
        }
        p.skipSpaces();
        List<CmdArg> args = new ArrayList<>();
        while (!p.atEnd()) {
            String key = p.until(" =");
            if (key.isEmpty()) {
                throw p.error();
            }
            List<String> vals = new ArrayList<>();
            if (p.peek() == '=') {
                p.skip(1);
                if (p.atEnd() || p.peek() == ' ') {
                    vals.add("");
                } else if (p.peek() != '(') {
                    vals.add(p.until(" "));
                } else {
                    p.skip(1);
                    boolean done = false;
                    while (!done) {
                        int end = p.valueEnd();
                        done = p.rest.charAt(end) == ')';
                        vals.add(p.rest.substring(0, end));
                        p.rest = p.rest.substring(end + 1).strip();
                    }
                }
            }
            args.add(new CmdArg(key, vals));
            p.skipSpaces();
        }
        return new TestData(pos, cmd, args, "", "");
    }

    /** The state of {@link #parseDirective}: what is left of the line. */
    private static final class DirectiveParser {
        private final String pos;
        private final String line;
        String rest;

        DirectiveParser(String pos, String line) {
            this.pos = pos;
            this.line = line;
            this.rest = line;
        }

        boolean atEnd() {
            return rest.isEmpty();
        }

        char peek() {
            return rest.isEmpty() ? 0 : rest.charAt(0);
        }

        void skip(int n) {
            rest = rest.substring(n);
        }

        void skipSpaces() {
            rest = rest.strip();
        }

        /** Removes and returns the text up to (not including) any of {@code chars}. */
        String until(String chars) {
            int idx = rest.length();
            for (int i = 0; i < rest.length(); i++) {
                if (chars.indexOf(rest.charAt(i)) >= 0) {
                    idx = i;
                    break;
                }
            }
            String head = rest.substring(0, idx);
            rest = rest.substring(idx);
            return head;
        }

        /** Position of the ',' or ')' ending the current value, skipping nested parentheses. */
        int valueEnd() {
            int depth = 0;
            for (int i = 0; i < rest.length(); i++) {
                char c = rest.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && depth > 0) {
                    depth--;
                } else if (depth == 0 && (c == ',' || c == ')')) {
                    return i;
                }
            }
            throw error();
        }

        DataDrivenException error() {
            return new DataDrivenException(pos + ": cannot parse directive at column "
                    + (line.length() - rest.length() + 1) + ": " + line);
        }
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
                String line = raw.strip();
                if (line.startsWith("#") || line.isEmpty()) {
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
                String expected = separator ? readExpected() : "";
                return new TestData(pos, directive.cmd(), directive.cmdArgs(), input.toString().strip(), expected);
            }
            return null;
        }

        private String readExpected() {
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
