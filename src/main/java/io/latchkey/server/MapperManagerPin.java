package io.latchkey.server;

import io.helidon.common.mapper.MapperManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;

import java.lang.System.Logger.Level;

/**
 * Works around a Helidon 4.4.0 regression (helidon-io/helidon#11383, fixed upstream by #11402
 * after 4.4.0): every {@code MapperManager.global()} lookup, which the web server makes for each
 * typed header read of every request, builds a new mapper manager through the service registry.
 * Pinning one instance as the global manager makes those lookups a field read (Helidon logs one
 * warning with a stack trace about it at startup). Remove this class once the parent is a Helidon
 * release with the fix.
 */
@ApplicationScoped
public class MapperManagerPin {
    private static final System.Logger LOG = System.getLogger(MapperManagerPin.class.getName());

    @SuppressWarnings("deprecation")
    void pin(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        try {
            MapperManager.global(MapperManager.global());
        } catch (RuntimeException e) {
            // Helidon sets the pin before it tells the registry, which refuses (its MappersConfig
            // was already used); the pin, which is what the per-request lookups read, stays.
            LOG.log(Level.DEBUG, "mapper manager registered only as the global instance: " + e);
        }
    }
}
