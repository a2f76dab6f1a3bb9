package io.latchkey.raft.conformance;

import io.latchkey.raft.confchange.ConfChangeDataDriven;
import io.latchkey.raft.datadriven.DataDriven;
import io.latchkey.raft.quorum.QuorumDataDriven;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Runs etcd-io/raft's data-driven test files against the port, byte for byte.
 *
 * <p>The files live outside the repository: in the directory named by the system property
 * {@value #DIR_PROPERTY}, by default {@code ../shared/conformance/etcd-raft} relative to the
 * project directory. Each subdirectory holds the files of one etcd package and gets one
 * factory below, which supplies a fresh handler per file (handlers keep state from directive
 * to directive). A missing directory skips the tests instead of failing the build.
 *
 * <p>To cover another subdirectory, add a factory returning
 * {@code suite("name", HandlerClass::new)}.
 */
@Tag("conformance")
class ConformanceTest {
    static final String DIR_PROPERTY = "latchkey.conformance.dir";

    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();
    private static boolean reportedMissing;

    @TestFactory
    Stream<DynamicTest> quorum() {
        return suite("quorum", QuorumDataDriven::new);
    }

    @TestFactory
    Stream<DynamicTest> confchange() {
        return suite("confchange", ConfChangeDataDriven::new);
    }

    /** etcd's top-level testdata: whole clusters driven through the rafttest environment. */
    @TestFactory
    Stream<DynamicTest> interaction() {
        return suite("interaction", InteractionHandler::new);
    }

    @AfterAll
    static void summary() {
        System.out.println("conformance: " + PASSED.get() + " passed, " + FAILED.get() + " failed");
    }

    /** The conformance root: the property if set and non-blank, else the shared default. */
    static Path root() {
        String configured = System.getProperty(DIR_PROPERTY, "");
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.dir")).resolve("../shared/conformance/etcd-raft").normalize();
    }

    /** One test per .txt file of {@code subdir}, in name order, each with a fresh handler. */
    static Stream<DynamicTest> suite(String subdir, Supplier<DataDriven.Handler> handlerPerFile) {
        Path root = root();
        Path dir = root.resolve(subdir);
        if (!Files.isDirectory(dir)) {
            reportMissing(Files.isDirectory(root) ? dir : root);
        }
        Assumptions.assumeTrue(Files.isDirectory(dir), "no conformance data at " + dir);
        return files(dir).stream().map(file -> DynamicTest.dynamicTest(
                subdir + "/" + file.getFileName(), file.toUri(), () -> runCounted(file, handlerPerFile.get())));
    }

    private static synchronized void reportMissing(Path dir) {
        if (!reportedMissing) {
            reportedMissing = true;
            System.out.println("conformance: " + dir + " does not exist, skipping");
        }
    }

    private static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void runCounted(Path file, DataDriven.Handler handler) {
        try {
            DataDriven.runTest(file, handler);
            PASSED.incrementAndGet();
        } catch (Throwable t) {
            FAILED.incrementAndGet();
            throw t;
        }
    }
}
