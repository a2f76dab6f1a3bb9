package io.latchkey.raft;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * A {@link Logger} that writes {@code raft <time> LEVEL: text} lines to a stream, like etcd's
 * default logger. Debug lines are written only when enabled.
 */
public final class DefaultLogger implements Logger {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");

    private final PrintStream out;
    private final boolean debugEnabled;

    public DefaultLogger(PrintStream out, boolean debugEnabled) {
        this.out = out;
        this.debugEnabled = debugEnabled;
    }

    /** Writes to standard error, without debug lines. */
    public static DefaultLogger stderr() {
        return new DefaultLogger(System.err, false);
    }

    @Override
    public void debug(String format, Object... args) {
        if (debugEnabled) {
            write("DEBUG", format, args);
        }
    }

    @Override
    public void info(String format, Object... args) {
        write("INFO", format, args);
    }

    @Override
    public void warning(String format, Object... args) {
        write("WARN", format, args);
    }

    @Override
    public void error(String format, Object... args) {
        write("ERROR", format, args);
    }

    @Override
    public RaftPanicException fatal(String format, Object... args) {
        throw new RaftPanicException(write("FATAL", format, args));
    }

    @Override
    public RaftPanicException panic(String format, Object... args) {
        throw new RaftPanicException(write("PANIC", format, args));
    }

    private String write(String level, String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        out.println("raft " + TIME.format(LocalDateTime.now()) + " " + level + ": " + text);
        return text;
    }
}
