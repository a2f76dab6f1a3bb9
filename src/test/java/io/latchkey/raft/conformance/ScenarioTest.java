package io.latchkey.raft.conformance;

import io.latchkey.raft.datadriven.DataDriven;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The project's own interaction scenarios (src/test/resources/scenarios/interaction), for
 * behaviour etcd's files do not cover. Unlike etcd's files they may be regenerated with
 * {@code -Dlatchkey.rewrite=true}; review the diff before committing it.
 */
@Tag("conformance")
class ScenarioTest {
    @TestFactory
    Stream<DynamicTest> interactionScenarios() throws IOException, URISyntaxException {
        Path dir = Path.of("src/test/resources/scenarios/interaction");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".txt")).sorted().toList().stream()
                    .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(),
                            () -> DataDriven.runTestRewritable(file, new InteractionHandler())));
        }
    }
}
