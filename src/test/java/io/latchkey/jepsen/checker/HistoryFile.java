package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Release;
import io.latchkey.jepsen.checker.Call.SerializableRead;
import io.latchkey.jepsen.checker.Call.Write;
import io.latchkey.jepsen.checker.Result.Done;
import io.latchkey.jepsen.checker.Result.Rejected;
import io.latchkey.jepsen.checker.Result.Revision;
import io.latchkey.jepsen.checker.Result.ValueAt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes histories as JSON lines (UTF-8), one operation per line in id order, e.g.
 * <pre>
 * {"id":3,"process":1,"outcome":"ok","invoke":120,"complete":340,"call":{"f":"cas","key":"k","expected":5,"value":"x"},"result":{"type":"revision","revision":9}}
 * {"id":4,"process":2,"outcome":"info","invoke":130,"complete":900,"call":{"f":"acquire","lock":"l"}}
 * </pre>
 * <ul>
 *   <li>{@code outcome}: ok | fail | info; {@code result} is present exactly for ok.</li>
 *   <li>{@code call.f}: read, serializable-read, delete ({@code key}); write ({@code key, value});
 *       cas ({@code key, expected, value}); acquire ({@code lock}); release ({@code lock, token});
 *       fenced-write ({@code key, value, lock, token}).</li>
 *   <li>{@code result.type}: value ({@code value} string or null, {@code modRevision}); revision
 *       ({@code revision}); done; rejected.</li>
 * </ul>
 * Times are nanoseconds of the recorder's monotonic clock. The reader accepts only this flat
 * subset of JSON (objects, strings, integers, null), which is all the writer produces; a harness
 * stores a run's history as {@code target/jepsen/<seed>/history.jsonl}.
 */
public final class HistoryFile {
    private HistoryFile() {
    }

    public static void write(Path file, History history) {
        List<String> lines = history.operations().stream().map(HistoryFile::format).toList();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static History read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                ops.add(parse(lines.get(i)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return new History(ops);
    }

    static String format(Operation op) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("id", (long) op.id());
        line.put("process", (long) op.process());
        line.put("outcome", op.outcome().name().toLowerCase(Locale.ROOT));
        line.put("invoke", op.invokeNanos());
        line.put("complete", op.completeNanos());
        line.put("call", callFields(op.call()));
        if (op.result() != null) {
            line.put("result", resultFields(op.result()));
        }
        StringBuilder text = new StringBuilder();
        Json.append(text, line);
        return text.toString();
    }

    static Operation parse(String text) {
        Map<String, Object> line = Json.parseObject(text);
        Outcome outcome = Outcome.valueOf(string(line, "outcome").toUpperCase(Locale.ROOT));
        Result result = outcome == Outcome.OK ? result(object(line, "result")) : null;
        return new Operation(Math.toIntExact(number(line, "id")), Math.toIntExact(number(line, "process")),
                call(object(line, "call")), outcome, result, number(line, "invoke"), number(line, "complete"));
    }

    private static Map<String, Object> callFields(Call call) {
        Map<String, Object> f = new LinkedHashMap<>();
        switch (call) {
            case Read r -> { f.put("f", "read"); f.put("key", r.key()); }
            case SerializableRead r -> { f.put("f", "serializable-read"); f.put("key", r.key()); }
            case Write w -> { f.put("f", "write"); f.put("key", w.key()); f.put("value", w.value()); }
            case Cas c -> {
                f.put("f", "cas"); f.put("key", c.key()); f.put("expected", c.expectedRevision()); f.put("value", c.value());
            }
            case Delete d -> { f.put("f", "delete"); f.put("key", d.key()); }
            case Acquire a -> { f.put("f", "acquire"); f.put("lock", a.lock()); }
            case Release r -> { f.put("f", "release"); f.put("lock", r.lock()); f.put("token", r.token()); }
            case FencedWrite w -> {
                f.put("f", "fenced-write"); f.put("key", w.key()); f.put("value", w.value());
                f.put("lock", w.lock()); f.put("token", w.token());
            }
        }
        return f;
    }

    private static Call call(Map<String, Object> f) {
        return switch (string(f, "f")) {
            case "read" -> new Read(string(f, "key"));
            case "serializable-read" -> new SerializableRead(string(f, "key"));
            case "write" -> new Write(string(f, "key"), string(f, "value"));
            case "cas" -> new Cas(string(f, "key"), number(f, "expected"), string(f, "value"));
            case "delete" -> new Delete(string(f, "key"));
            case "acquire" -> new Acquire(string(f, "lock"));
            case "release" -> new Release(string(f, "lock"), number(f, "token"));
            case "fenced-write" -> new FencedWrite(string(f, "key"), string(f, "value"), string(f, "lock"), number(f, "token"));
            default -> throw new IllegalArgumentException("unknown call " + f.get("f"));
        };
    }

    private static Map<String, Object> resultFields(Result result) {
        Map<String, Object> f = new LinkedHashMap<>();
        switch (result) {
            case ValueAt v -> { f.put("type", "value"); f.put("value", v.value()); f.put("modRevision", v.modRevision()); }
            case Revision r -> { f.put("type", "revision"); f.put("revision", r.revision()); }
            case Done d -> f.put("type", "done");
            case Rejected r -> f.put("type", "rejected");
        }
        return f;
    }

    private static Result result(Map<String, Object> f) {
        return switch (string(f, "type")) {
            case "value" -> new ValueAt((String) f.get("value"), number(f, "modRevision"));
            case "revision" -> new Revision(number(f, "revision"));
            case "done" -> new Done();
            case "rejected" -> new Rejected();
            default -> throw new IllegalArgumentException("unknown result " + f.get("type"));
        };
    }

    private static String string(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof String s)) {
            throw new IllegalArgumentException("missing string \"" + name + "\"");
        }
        return s;
    }

    private static long number(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof Long n)) {
            throw new IllegalArgumentException("missing integer \"" + name + "\"");
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("missing object \"" + name + "\"");
        }
        return (Map<String, Object>) m;
    }

    /** The JSON subset above: objects, strings, integers and null. */
    private static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        static Map<String, Object> parseObject(String text) {
            Json json = new Json(text);
            Map<String, Object> object = json.object();
            json.skipSpace();
            if (json.at != text.length()) {
                throw json.error("trailing characters");
            }
            return object;
        }

        static void append(StringBuilder out, Object value) {
            switch (value) {
                case null -> out.append("null");
                case Long n -> out.append(n);
                case String s -> appendString(out, s);
                case Map<?, ?> m -> {
                    out.append('{');
                    boolean first = true;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        if (!first) {
                            out.append(',');
                        }
                        first = false;
                        appendString(out, (String) e.getKey());
                        out.append(':');
                        append(out, e.getValue());
                    }
                    out.append('}');
                }
                default -> throw new IllegalArgumentException("not in the history JSON subset: " + value);
            }
        }

        private static void appendString(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        private Map<String, Object> object() {
            expect('{');
            Map<String, Object> object = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                at++;
                return object;
            }
            do {
                skipSpace();
                String name = string();
                skipSpace();
                expect(':');
                object.put(name, value());
                skipSpace();
            } while (consume(','));
            expect('}');
            return object;
        }

        private Object value() {
            skipSpace();
            char c = peek();
            if (c == '{') {
                return object();
            }
            if (c == '"') {
                return string();
            }
            if (text.startsWith("null", at)) {
                at += 4;
                return null;
            }
            int start = at;
            if (c == '-') {
                at++;
            }
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            if (at == start) {
                throw error("expected a value");
            }
            return Long.parseLong(text.substring(start, at));
        }

        private String string() {
            expect('"');
            StringBuilder s = new StringBuilder();
            while (peek() != '"') {
                char c = text.charAt(at++);
                if (c != '\\') {
                    s.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case '"', '\\', '/' -> s.append(escaped);
                    case 'n' -> s.append('\n');
                    case 'r' -> s.append('\r');
                    case 't' -> s.append('\t');
                    case 'b' -> s.append('\b');
                    case 'f' -> s.append('\f');
                    case 'u' -> {
                        s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> throw error("bad escape \\" + escaped);
                }
            }
            at++;
            return s.toString();
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw error("unexpected end of line");
            }
            return text.charAt(at);
        }

        private boolean consume(char c) {
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!consume(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String message) {
            return new IllegalArgumentException(message + " at column " + (at + 1));
        }
    }
}
