package io.latchkey.jepsen;

import io.latchkey.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The process faults reach a JVM started with a node's environment: fsync fails with EIO
 * exactly while the flag is set, and the wall clock (not the monotonic one) follows the offset.
 */
@Tag("jepsen")
class NodeFaultsTest {
    @TempDir
    Path dir;
    private Process probe;
    private BufferedReader answers;
    private PrintStream commands;

    @AfterEach
    void stop() throws InterruptedException {
        if (probe != null) {
            probe.destroyForcibly();
            probe.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void fsyncFailsWithEio_onlyWhileTheFlagIsSet() throws Exception {
        assumeTrue(Shell.onPath("gcc"), "needs gcc to build the shim");
        NodeFaults faults = NodeFaults.prepare(dir.resolve("faults"), List.of(Nemesis.Fault.FSYNC), dir.resolve("tools"));
        start(faults);

        assertThat(ask("force " + dir.resolve("data"))).isEqualTo("ok");
        faults.failFsync(0, true);
        assertThat(ask("force " + dir.resolve("data"))).contains("Input/output error");
        faults.failFsync(0, false);
        assertThat(ask("force " + dir.resolve("data"))).isEqualTo("ok");
    }

    @Test
    void wallClockFollowsTheOffset_monotonicClockDoesNot() throws Exception {
        assumeTrue(NodeFaults.libfaketime() != null, "needs libfaketime");
        NodeFaults faults = NodeFaults.prepare(dir.resolve("faults"), List.of(Nemesis.Fault.CLOCK), dir.resolve("tools"));
        faults.initialise(0);
        start(faults);
        long[] first = times();

        faults.setClockOffset(0, 3600);
        assertThat(Await.within(Duration.ofSeconds(10), () -> Math.abs(wallOffsetSeconds() - 3600) <= 2)).isTrue();
        faults.setClockOffset(0, -600);
        assertThat(Await.within(Duration.ofSeconds(10), () -> Math.abs(wallOffsetSeconds() + 600) <= 2)).isTrue();

        long[] last = times();
        long ours = System.nanoTime();
        // The probe's monotonic clock advanced as ours did, whatever its wall clock did.
        long probeElapsed = last[1] - first[1];
        long ourElapsed = ours - first[2];
        assertThat(Math.abs(probeElapsed - ourElapsed)).isLessThan(TimeUnit.SECONDS.toNanos(2));
    }

    private void start(NodeFaults faults) throws IOException {
        ProcessBuilder b = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Probe.class.getName()).redirectError(ProcessBuilder.Redirect.INHERIT);
        b.environment().putAll(faults.environment(0));
        probe = b.start();
        answers = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8));
        commands = new PrintStream(probe.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    private String ask(String command) {
        commands.println(command);
        try {
            String line = answers.readLine();
            assertThat(line).as("answer to " + command).isNotNull();
            return line;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The probe's wall clock and monotonic clock, and our monotonic clock when it answered. */
    private long[] times() {
        String[] parts = ask("time").split(" ");
        return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1]), System.nanoTime()};
    }

    private long wallOffsetSeconds() {
        long probeWall = times()[0];
        return Math.round((probeWall - System.currentTimeMillis()) / 1000.0);
    }

    /** Runs in the child JVM: answers "force FILE" and "time" on stdin, one line each. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("force ")) {
                    try (FileChannel c = FileChannel.open(Path.of(line.substring(6)), StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                        c.write(ByteBuffer.wrap(new byte[] {1}));
                        c.force(true);
                        System.out.println("ok");
                    } catch (IOException e) {
                        System.out.println(e.getMessage());
                    }
                } else {
                    System.out.println(System.currentTimeMillis() + " " + System.nanoTime());
                }
            }
        }
    }
}
