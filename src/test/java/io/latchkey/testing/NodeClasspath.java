package io.latchkey.testing;

import java.io.File;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The classpath for node processes that tests start: the test JVM's classpath without the test
 * classes. Test resources configure in-process Helidon tests (random ports, a fresh data
 * directory per container) through META-INF config with a high ordinal; a node process started
 * with them would ignore the ports and data directory it is given.
 */
public final class NodeClasspath {
    private NodeClasspath() {
    }

    public static String get() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("test-classes" + File.separator))
                .collect(Collectors.joining(File.pathSeparator));
    }
}
