package io.latchkey.jepsen;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Faults that live inside a node's process rather than on the network, switched through files
 * the node's environment points at (the node JVM and the PostgreSQL it starts inherit it):
 *
 * <ul>
 *   <li>clock: Debian's libfaketime preloaded with a timestamp file per node; writing an offset
 *   ({@code +3600}, {@code -600}) into it moves that node's wall clock (CLOCK_REALTIME) within
 *   about 3 s. Monotonic clocks are left alone: the kernel never moves them backwards, and the
 *   lease clock is built on them.</li>
 *   <li>fsync: a shim (fsync-eio.c, built here with gcc) that makes fsync, fdatasync, syncfs and
 *   sync_file_range fail with EIO while the node's flag file exists.</li>
 * </ul>
 */
final class NodeFaults {
    private static final List<String> LIBFAKETIME = List.of(
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib/faketime/libfaketime.so.1");

    private final Path dir;
    private final boolean clock;
    private final Path fsyncShim;

    /**
     * @param dir        where the per-node clock and flag files go
     * @param clock      preload libfaketime into every node
     * @param fsyncShim  the built EIO shim to preload, or null
     */
    private NodeFaults(Path dir, boolean clock, Path fsyncShim) {
        this.dir = dir;
        this.clock = clock;
        this.fsyncShim = fsyncShim;
    }

    /** Sets up what the given faults need; throws with the reason when a tool is missing. */
    static NodeFaults prepare(Path dir, List<Nemesis.Fault> faults, Path buildDir) throws IOException {
        boolean clock = faults.contains(Nemesis.Fault.CLOCK);
        if (clock && libfaketime() == null) {
            throw new IllegalStateException("the clock nemesis needs libfaketime (apt-get install faketime libfaketime)");
        }
        Path shim = faults.contains(Nemesis.Fault.FSYNC) ? buildFsyncShim(buildDir) : null;
        Files.createDirectories(dir);
        return new NodeFaults(dir, clock, shim);
    }

    static String libfaketime() {
        return LIBFAKETIME.stream().filter(p -> Files.isReadable(Path.of(p))).findFirst().orElse(null);
    }

    /** Compiles the shim from the test resources into buildDir (once per source change). */
    private static Path buildFsyncShim(Path buildDir) throws IOException {
        if (!Shell.onPath("gcc")) {
            throw new IllegalStateException("the fsync nemesis needs gcc to build its LD_PRELOAD shim");
        }
        Files.createDirectories(buildDir);
        Path source = buildDir.resolve("fsync-eio.c");
        Path library = buildDir.resolve("fsync-eio.so");
        byte[] text;
        try (InputStream in = NodeFaults.class.getResourceAsStream("fsync-eio.c")) {
            if (in == null) {
                throw new IllegalStateException("fsync-eio.c is not on the test classpath");
            }
            text = in.readAllBytes();
        }
        boolean current = Files.exists(library) && Files.exists(source) && java.util.Arrays.equals(Files.readAllBytes(source), text);
        if (!current) {
            Files.write(source, text);
            Shell.must("gcc", "-shared", "-fPIC", "-O2", "-Wall", "-o", library.toString(), source.toString(), "-ldl");
        }
        return library.toAbsolutePath();
    }

    /** Environment for node i's process. */
    Map<String, String> environment(int i) {
        Map<String, String> env = new HashMap<>();
        StringBuilder preload = new StringBuilder();
        if (clock) {
            preload.append(libfaketime());
            env.put("FAKETIME_TIMESTAMP_FILE", clockFile(i).toString());
            env.put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            // Reading the file on every call (FAKETIME_NO_CACHE) costs 10-60 us per wall-clock read
            // here; a 1 s cache costs nothing and delays a jump by at most ~3 s.
            env.put("FAKETIME_CACHE_DURATION", "1");
            // Only needed when monotonic time is faked; on, it slows every monotonic read.
            env.put("FAKETIME_FORCE_MONOTONIC_FIX", "0");
        }
        if (fsyncShim != null) {
            preload.append(preload.isEmpty() ? "" : ":").append(fsyncShim);
            env.put("LATCHKEY_FSYNC_EIO_FLAG", eioFlag(i).toString());
        }
        if (!preload.isEmpty()) {
            env.put("LD_PRELOAD", preload.toString());
        }
        return env;
    }

    /** Creates node i's clock file (at offset 0) before it starts. */
    void initialise(int i) throws IOException {
        if (clock && !Files.exists(clockFile(i))) {
            Files.writeString(clockFile(i), "+0\n");
        }
    }

    /** Moves node i's wall clock to real time plus offsetSeconds (negative: behind). */
    void setClockOffset(int i, long offsetSeconds) {
        write(clockFile(i), (offsetSeconds >= 0 ? "+" : "") + offsetSeconds + "\n");
    }

    void failFsync(int i, boolean failing) {
        try {
            if (failing) {
                Files.writeString(eioFlag(i), "EIO\n");
            } else {
                Files.deleteIfExists(eioFlag(i));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every node's clock back to real time, every disk healthy. */
    void heal(int nodes) {
        for (int i = 0; i < nodes; i++) {
            if (clock) {
                setClockOffset(i, 0);
            }
            if (fsyncShim != null) {
                failFsync(i, false);
            }
        }
    }

    private Path clockFile(int i) {
        return dir.resolve("clock-" + (i + 1));
    }

    private Path eioFlag(int i) {
        return dir.resolve("fsync-eio-" + (i + 1));
    }

    private static void write(Path file, String text) {
        try {
            // Replaced atomically so libfaketime never reads a half-written offset.
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
