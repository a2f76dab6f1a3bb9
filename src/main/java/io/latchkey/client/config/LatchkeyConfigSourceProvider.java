package io.latchkey.client.config;

import io.latchkey.client.LatchkeyClient;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.eclipse.microprofile.config.spi.ConfigSourceProvider;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Adds a {@link LatchkeyConfigSource} to an application's MicroProfile Config when the client jar
 * is on its classpath and {@code latchkey.config.endpoints} is set (as a system property, an
 * environment variable {@code LATCHKEY_CONFIG_ENDPOINTS}, or in
 * {@code META-INF/microprofile-config.properties}: the sources that exist before this one).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><td>{@code latchkey.config.endpoints}</td><td>members' client URLs, comma-separated (none: no source)</td></tr>
 *   <tr><td>{@code latchkey.config.prefix}</td><td>the keys to expose, without it in the property names (default empty: all keys)</td></tr>
 *   <tr><td>{@code latchkey.config.ordinal}</td><td>the source's ordinal (default 150: above the properties file, below environment and system properties)</td></tr>
 *   <tr><td>{@code latchkey.config.token}, {@code latchkey.config.trusted-ca}</td><td>bearer token; PEM CA file for https endpoints</td></tr>
 *   <tr><td>{@code latchkey.config.timeout-seconds}</td><td>how long the first read may take before the application fails to start (default 30)</td></tr>
 * </table>
 */
public final class LatchkeyConfigSourceProvider implements ConfigSourceProvider {
    public static final String ENDPOINTS = "latchkey.config.endpoints";
    public static final int DEFAULT_ORDINAL = 150;

    @Override
    public Iterable<ConfigSource> getConfigSources(ClassLoader classLoader) {
        Config bootstrap = ConfigProviderResolver.instance().getBuilder().forClassLoader(classLoader)
                .addDefaultSources().build();
        String endpoints = bootstrap.getOptionalValue(ENDPOINTS, String.class).orElse("").strip();
        if (endpoints.isEmpty()) {
            return List.of();
        }
        LatchkeyClient.Builder builder = LatchkeyClient.builder().endpoints(endpoints.split(","))
                .retryTimeout(Duration.ofSeconds(bootstrap.getOptionalValue("latchkey.config.timeout-seconds", Long.class)
                        .orElse(30L)));
        bootstrap.getOptionalValue("latchkey.config.token", String.class).ifPresent(builder::bearerToken);
        bootstrap.getOptionalValue("latchkey.config.trusted-ca", String.class).map(Path::of).ifPresent(builder::trustedCa);
        String prefix = bootstrap.getOptionalValue("latchkey.config.prefix", String.class).orElse("");
        int ordinal = bootstrap.getOptionalValue("latchkey.config.ordinal", Integer.class).orElse(DEFAULT_ORDINAL);
        return List.of(new LatchkeyConfigSource(builder.build(), prefix, ordinal));
    }
}
