package io.latchkey.api;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Gives every container that API tests start its own empty {@code latchkey.data-dir} under
 * {@code target/api-test-data}, so each test class bootstraps a new single-node cluster.
 * Helidon builds the configuration (and so a new instance of this source) per container.
 */
public class ApiTestDataDir implements ConfigSource {
    static final String KEY = "latchkey.data-dir";

    private volatile String dir;

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(KEY);
    }

    @Override
    public String getValue(String propertyName) {
        if (!KEY.equals(propertyName)) {
            return null;
        }
        if (dir == null) {
            synchronized (this) {
                if (dir == null) {
                    try {
                        Path parent = Files.createDirectories(Path.of("target", "api-test-data"));
                        dir = Files.createTempDirectory(parent, "node-").toString();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }
        return dir;
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(KEY, getValue(KEY));
    }

    @Override
    public int getOrdinal() {
        return 1100;
    }

    @Override
    public String getName() {
        return "api-test-data-dir";
    }
}
