package io.latchkey.client.config;

import io.helidon.microprofile.config.ConfigCdiExtension;
import io.helidon.microprofile.testing.junit5.AddBean;
import io.helidon.microprofile.testing.junit5.AddExtension;
import io.helidon.microprofile.testing.junit5.DisableDiscovery;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.cluster.ProcessCluster;
import io.latchkey.testing.Await;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application that has the client jar on its classpath and {@code latchkey.config.endpoints}
 * set reads Latchkey keys with {@code @ConfigProperty}, and sees a change within a second. The
 * node is a real process; the container starts per test (after the node is up and the settings
 * are system properties).
 */
@Tag("client")
@HelidonTest(resetPerTest = true)
@DisableDiscovery
@AddExtension(ConfigCdiExtension.class)
@AddBean(LatchkeyConfigSourceTest.Greeter.class)
class LatchkeyConfigSourceTest {
    @TempDir
    static Path root;
    static ProcessCluster cluster;
    static LatchkeyClient writer;

    @ApplicationScoped
    public static class Greeter {
        @Inject
        @ConfigProperty(name = "greeting")
        Provider<String> greeting;

        @Inject
        @ConfigProperty(name = "greeting.target", defaultValue = "world")
        Provider<String> target;

        String greet() {
            return greeting.get() + ", " + target.get();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        cluster = new ProcessCluster(root, 1);
        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(120));
        String endpoint = cluster.nodes.getFirst().clientUrl();
        writer = LatchkeyClient.connect(endpoint);
        writer.put("app/greeting", "hello");
        writer.put("other/greeting", "not this one");
        System.setProperty("latchkey.config.endpoints", endpoint);
        System.setProperty("latchkey.config.prefix", "app/");
        System.setProperty("latchkey.config.ordinal", "250");
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("latchkey.config.endpoints");
        System.clearProperty("latchkey.config.prefix");
        System.clearProperty("latchkey.config.ordinal");
        if (writer != null) {
            writer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void injectedPropertiesFollowTheKeysLive() {
        Greeter greeter = CDI.current().select(Greeter.class).get();
        Config config = ConfigProvider.getConfig();
        assertThat(greeter.greet()).isEqualTo("hello, world");
        assertThat(StreamSupport.stream(config.getConfigSources().spliterator(), false)
                .filter(s -> s.getName().equals("latchkey:app/"))).singleElement()
                .satisfies(s -> assertThat(s.getOrdinal()).isEqualTo(250));

        writer.put("app/greeting", "bonjour");
        writer.put("app/greeting.target", "le monde");
        Await.until(Duration.ofSeconds(1), "the change to reach @ConfigProperty",
                () -> greeter.greet().equals("bonjour, le monde"));

        writer.delete("app/greeting.target");
        Await.until(Duration.ofSeconds(1), "the delete to reach @ConfigProperty",
                () -> greeter.greet().equals("bonjour, world"));
    }
}
