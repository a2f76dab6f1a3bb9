package io.latchkey.raft;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The core's {@link Logger}: by default through {@link System.Logger} (logger {@code io.latchkey.raft},
 * so the application's logging configuration decides format, level and destination; debug lines
 * only when that logger is enabled for DEBUG), or as {@code raft <time> LEVEL: text} lines on a
 * stream, like etcd's default logger (tests that read the texts).
 */
public final class DefaultLogger implements Logger {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private static final System.Logger SYSTEM = System.getLogger("io.latchkey.raft");

    /** Null when logging through {@link #SYSTEM}. */
    private final PrintStream out;
    private final boolean debugEnabled;

    public DefaultLogger(PrintStream out, boolean debugEnabled) {
        this.out = out;
        this.debugEnabled = debugEnabled;
    }

    private DefaultLogger() {
        this.out = null;
        this.debugEnabled = false;
    }

    /** Logs through {@link System.Logger} {@code io.latchkey.raft}. */
    public static DefaultLogger system() {
        return new DefaultLogger();
    }

    /**
     * The default logger, {@link #system()}: what the core and the node used when raft wrote to
     * standard error, which bypassed the application's logging.
     */
    public static DefaultLogger stderr() {
        return system();
    }

    @Override
    public void debug(String format, Object... args) {
        if (out == null ? SYSTEM.isLoggable(System.Logger.Level.DEBUG) : debugEnabled) {
            write(System.Logger.Level.DEBUG, "DEBUG", format, args);
        }
    }

    @Override
    public void info(String format, Object... args) {
        write(System.Logger.Level.INFO, "INFO", format, args);
    }

    @Override
    public void warning(String format, Object... args) {
        write(System.Logger.Level.WARNING, "WARN", format, args);
    }

    @Override
    public void error(String format, Object... args) {
        write(System.Logger.Level.ERROR, "ERROR", format, args);
    }

    @Override
    public RaftPanicException fatal(String format, Object... args) {
        throw new RaftPanicException(write(System.Logger.Level.ERROR, "FATAL", format, args));
    }

    @Override
    public RaftPanicException panic(String format, Object... args) {
        throw new RaftPanicException(write(System.Logger.Level.ERROR, "PANIC", format, args));
    }

    private String write(System.Logger.Level level, String name, String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        if (out == null) {
            // Level names of FATAL and PANIC are kept in the text: System.Logger has no such levels.
            SYSTEM.log(level, level == System.Logger.Level.ERROR && !name.equals("ERROR") ? name + ": " + text : text);
        } else {
            out.println("raft " + TIME.format(LocalDateTime.now()) + " " + name + ": " + text);
        }
        return text;
    }
}
