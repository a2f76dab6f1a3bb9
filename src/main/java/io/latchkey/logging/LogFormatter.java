package io.latchkey.logging;

import io.helidon.logging.jul.HelidonFormatter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * The console format of the node's log: Helidon's text lines by default, or with
 * {@code LATCHKEY_LOG_FORMAT=json} (or {@code -Dlatchkey.log.format=json}) one JSON object per
 * event and line, for log collectors: {@code time}, {@code level}, {@code logger}, {@code thread},
 * {@code member} (the pod name in a StatefulSet, else the configured node id, else the node id
 * once the node has started: a new node makes its id at its first start, after logging began),
 * {@code message} and, for a failure, {@code exception} with its stack trace.
 * Set in {@code logging.properties} as the console handler's formatter.
 */
public final class LogFormatter extends Formatter {
    private final Formatter text;
    private final boolean json;
    private final String member;
    /** The started node's id: the member of a formatter that was given none. */
    private static volatile String startedNode;

    public LogFormatter() {
        this(setting("latchkey.log.format", "LATCHKEY_LOG_FORMAT"), member());
    }

    LogFormatter(String format, String member) {
        if (format != null && !format.isBlank() && !format.equalsIgnoreCase("json") && !format.equalsIgnoreCase("text")) {
            throw new IllegalArgumentException("latchkey.log.format (LATCHKEY_LOG_FORMAT) is text or json, not " + format);
        }
        this.json = "json".equalsIgnoreCase(format);
        this.text = json ? null : new HelidonFormatter();
        this.member = member;
    }

    /** Names the member in the lines that follow, unless the pod name or a configured id already does. */
    public static void nodeStarted(String nodeId) {
        startedNode = nodeId;
    }

    private static String member() {
        String pod = System.getenv("LATCHKEY_K8S_POD_NAME");
        return pod != null && !pod.isBlank() ? pod : setting("latchkey.node-id", "LATCHKEY_NODE_ID");
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        return value != null ? value : System.getenv(env);
    }

    @Override
    public String format(LogRecord record) {
        if (!json) {
            return text.format(record);
        }
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "time", record.getInstant().toString());
        field(b, "level", record.getLevel().getName());
        field(b, "logger", record.getLoggerName());
        field(b, "thread", Thread.currentThread().getName());
        String m = member != null && !member.isBlank() ? member : startedNode;
        if (m != null) {
            field(b, "member", m);
        }
        field(b, "message", formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            field(b, "exception", trace.toString());
        }
        return b.append("}\n").toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        if (b.length() > 1) {
            b.append(',');
        }
        b.append('"').append(name).append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
