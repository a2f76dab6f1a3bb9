package io.latchkey.raft;

import java.io.OutputStream;
import java.io.PrintStream;

/** Loggers for tests of the log structures. */
final class TestLoggers {
    private TestLoggers() {
    }

    /** Drops everything, but still throws on panic like any {@link Logger}. */
    static Logger discard() {
        return new DefaultLogger(new PrintStream(OutputStream.nullOutputStream()), true);
    }
}
