package io.latchkey.raft.rafttest;

import io.latchkey.raft.Logger;
import io.latchkey.raft.RaftPanicException;

import java.util.List;
import java.util.Locale;

/**
 * A {@link Logger} that writes into the output of an {@link InteractionEnv}, so that what the
 * core logs becomes part of the expected test output. Lines are prefixed by their level name;
 * the lowest level that is written is adjustable, and {@code NONE} silences the harness too.
 *
 * <p>The buffer can be swapped out for a while ({@link InteractionEnv} does so to indent a
 * block of output); everything written meanwhile lands in the replacement.
 */
public final class RedirectLogger implements Logger {
    /** The level names in increasing severity; the index is the level. */
    static final List<String> LEVEL_NAMES = List.of("DEBUG", "INFO", "WARN", "ERROR", "FATAL", "NONE");

    private static final int DEBUG = 0;
    private static final int INFO = 1;
    private static final int WARN = 2;
    private static final int ERROR = 3;
    private static final int FATAL = 4;
    private static final int NONE = LEVEL_NAMES.size() - 1;

    private StringBuilder builder = new StringBuilder();
    private int level = DEBUG;

    /** The lowest level that is written, as an index into {@link #LEVEL_NAMES}. */
    public int level() {
        return level;
    }

    public void setLevel(int level) {
        if (level < 0 || level > NONE) {
            throw new IllegalArgumentException("no such log level: " + level);
        }
        this.level = level;
    }

    /** Whether everything is silenced, harness output included (level {@code NONE}). */
    public boolean quiet() {
        return level == NONE;
    }

    /** Appends text unless silenced. */
    public void write(String s) {
        if (!quiet()) {
            builder.append(s);
        }
    }

    /** Appends text and a newline unless silenced (Go's {@code fmt.Fprintln} of one value). */
    public void writeLine(String s) {
        write(s + "\n");
    }

    public int length() {
        return builder.length();
    }

    public void reset() {
        builder.setLength(0);
    }

    /** Installs {@code replacement} as the buffer and returns the previous one. */
    StringBuilder swapBuilder(StringBuilder replacement) {
        StringBuilder previous = builder;
        builder = replacement;
        return previous;
    }

    @Override
    public String toString() {
        return builder.toString();
    }

    @Override
    public void debug(String format, Object... args) {
        log(DEBUG, format, args);
    }

    @Override
    public void info(String format, Object... args) {
        log(INFO, format, args);
    }

    @Override
    public void warning(String format, Object... args) {
        log(WARN, format, args);
    }

    @Override
    public void error(String format, Object... args) {
        log(ERROR, format, args);
    }

    @Override
    public RaftPanicException fatal(String format, Object... args) {
        log(FATAL, format, args);
        throw new RaftPanicException(format(format, args));
    }

    @Override
    public RaftPanicException panic(String format, Object... args) {
        log(FATAL, format, args);
        throw new RaftPanicException(format(format, args));
    }

    private void log(int lvl, String format, Object... args) {
        if (level > lvl) {
            return;
        }
        StringBuilder line = new StringBuilder(LEVEL_NAMES.get(lvl)).append(' ').append(format(format, args));
        // The newline is decided by the format, not by the formatted text, as upstream does.
        if (!format.isEmpty() && format.charAt(format.length() - 1) != '\n') {
            line.append('\n');
        }
        write(line.toString());
    }

    private static String format(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
