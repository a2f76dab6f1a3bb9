package io.latchkey.cluster;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonParsingException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node started the README's way, on a JDK that warns about deprecated internals, says nothing a
 * user cannot act on: no warning, no exception, no stack trace, up to and including its first
 * write (protobuf, PostgreSQL, Helidon and the raft core have all run by then). With
 * {@code LATCHKEY_LOG_FORMAT=json} every line of its output is one JSON event with level,
 * logger and member: a line written around the log (a JVM or library warning on stderr) fails.
 */
@Tag("cluster")
class CleanStartupProcessTest extends ProcessClusterTest {
    /** Set by whoever runs the tests, not by the node; the JVM announces it on stderr. */
    private static final String TOOL_OPTIONS_NOTICE = "Picked up JAVA_TOOL_OPTIONS";

    @Test
    void aTextLogStartupHasNoWarningExceptionOrStackTrace() throws Exception {
        List<String> lines = startAndWrite(false);
        assertThat(lines).as("the node's output").isNotEmpty()
                .noneMatch(l -> l.contains("WARNING") || l.contains("SEVERE") || l.contains("Exception")
                        || l.startsWith("\tat ") || l.contains("SLF4J"));
    }

    @Test
    void aJsonLogIsOneEventPerLineWithLevelLoggerAndMember() throws Exception {
        List<String> lines = startAndWrite(true);
        assertThat(lines).as("the node's output").hasSizeGreaterThan(5);
        String node = null;
        for (String line : lines) {
            JsonObject event;
            try {
                event = Json.createReader(new StringReader(line)).readObject();
            } catch (JsonParsingException e) {
                throw new AssertionError("not a JSON event: " + line, e);
            }
            assertThat(event.getString("level")).as(line).isIn("INFO", "FINE", "CONFIG");
            assertThat(event.getString("logger")).as(line).isNotBlank();
            assertThat(event.containsKey("exception")).as(line).isFalse();
            if (event.getString("message").matches("node [0-9a-f]+ of cluster [0-9a-f]+ started.*")) {
                node = event.getString("message").split(" ")[1];
            }
            if (node != null) {
                assertThat(event.getString("member", null)).as("member after the node started: %s", line).isEqualTo(node);
            }
        }
        assertThat(node).as("the node's start is logged").isNotNull();
    }

    /** Starts a node alone, makes one write, and returns its output so far. */
    private List<String> startAndWrite(boolean json) throws Exception {
        cluster = ProcessCluster.alone(root, List.of());
        ProcessCluster.NodeProcess node = cluster.nodes.get(0);
        if (json) {
            node.environment.put("LATCHKEY_LOG_FORMAT", "json");
        }
        cluster.startAlone(node, Duration.ofSeconds(120));
        node.client().put("clean-start", "v");
        return Files.readAllLines(node.log).stream().filter(l -> !l.startsWith(TOOL_OPTIONS_NOTICE)).toList();
    }
}
