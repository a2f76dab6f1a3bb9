package io.latchkey.node.sim;

import io.latchkey.raft.TraceLogger;
import io.latchkey.raft.TracingEvent;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Raft state-machine events of one simulated run as ndjson, one
 * {@code {"tag":"trace","event":{...}}} line per event: the input of etcd-io/raft's TLA+ trace
 * validation ({@code tla/Traceetcdraft.tla}, {@code tla/validate.sh}). All nodes write to one
 * file, and since the simulation runs on one thread the lines are in causal order, which the
 * validation needs. {@code -Dlatchkey.sim.trace-dir=DIR} writes {@code DIR/seed-N.ndjson} for
 * each seed run; without it nothing is traced.
 */
final class SimTraceFile implements TraceLogger, AutoCloseable {
    static final String DIRECTORY_PROPERTY = "latchkey.sim.trace-dir";

    private final BufferedWriter out;

    private SimTraceFile(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    /** The trace file of {@code seed}, or null when tracing is not asked for. */
    static SimTraceFile forSeed(long seed) {
        String directory = System.getProperty(DIRECTORY_PROPERTY, "");
        if (directory.isEmpty()) {
            return null;
        }
        try {
            return new SimTraceFile(Path.of(directory).toAbsolutePath().resolve("seed-" + seed + ".ndjson"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write traces to " + directory, e);
        }
    }

    @Override
    public void traceEvent(TracingEvent event) {
        try {
            out.write("{\"tag\":\"trace\",\"event\":");
            out.write(event.toJson());
            out.write("}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
