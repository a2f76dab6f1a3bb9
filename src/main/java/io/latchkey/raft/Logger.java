package io.latchkey.raft;

/**
 * Where the Raft core reports what it does. Formats use {@link String#format} syntax; the
 * texts follow etcd-io/raft's word for word because the conformance suite compares them.
 *
 * <p>{@code fatal} and {@code panic} mean the core met a state it must not continue from:
 * implementations log the text and then throw {@link RaftPanicException}.
 */
public interface Logger {
    void debug(String format, Object... args);

    void info(String format, Object... args);

    void warning(String format, Object... args);

    void error(String format, Object... args);

    /** Logs at FATAL and throws {@link RaftPanicException}; never returns normally. */
    RaftPanicException fatal(String format, Object... args);

    /** Logs at FATAL and throws {@link RaftPanicException}; never returns normally. */
    RaftPanicException panic(String format, Object... args);
}
