package io.latchkey.client.config;

import io.latchkey.client.KeyList;
import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Watch;
import io.latchkey.client.WatchEvent;
import io.latchkey.client.WatchListener;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Config keys under a prefix as MicroProfile Config properties: the key {@code app/db.url} with
 * prefix {@code app/} is the property {@code db.url}. The keys are read once, then kept current
 * by a watch from the revision of that read, so a property changes as soon as the cluster
 * delivers the change (read it through {@code Provider<String>} or {@code Config#getValue} to see
 * updates; a plain injected {@code String} keeps the value it had at injection). If the watch's
 * history is gone (a long disconnect) the keys are read again.
 */
public final class LatchkeyConfigSource implements ConfigSource, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LatchkeyConfigSource.class.getName());
    /** The most keys one read returns; more under the prefix are reported, not silently dropped. */
    private static final int KEYS_MAX = 1000;

    private final LatchkeyClient client;
    private final String prefix;
    private final int ordinal;
    private final Map<String, String> values = new ConcurrentHashMap<>();
    private volatile Watch watch;

    /** Reads the keys under {@code prefix} and watches them; the client stays open until {@link #close()}. */
    public LatchkeyConfigSource(LatchkeyClient client, String prefix, int ordinal) {
        this.client = client;
        this.prefix = prefix;
        this.ordinal = ordinal;
        try {
            load();
        } catch (LatchkeyException e) {
            client.close();
            throw new IllegalStateException("cannot read the config keys under '" + prefix + "' from Latchkey ("
                    + LatchkeyConfigSourceProvider.ENDPOINTS + "): " + e.getMessage(), e);
        }
    }

    private void load() {
        KeyList keys = client.list(prefix, KEYS_MAX);
        if (keys.more()) {
            LOG.log(System.Logger.Level.WARNING, "more than {0} keys under ''{1}'': only the first {0} are config properties"
                    + " until they change", KEYS_MAX, prefix);
        }
        values.clear();
        for (KeyValue kv : keys.keys()) {
            values.put(kv.key().substring(prefix.length()), kv.text());
        }
        watch = client.watch(prefix, keys.revision() + 1, new WatchListener() {
            @Override
            public void onEvent(WatchEvent e) {
                String name = e.key().substring(prefix.length());
                if (e.isDelete()) {
                    values.remove(name);
                } else {
                    values.put(name, e.text());
                }
            }

            @Override
            public void onError(LatchkeyException e) {
                LOG.log(System.Logger.Level.WARNING, "the watch of ''{0}'' ended ({1}); reading the keys again",
                        prefix, e.getMessage());
                Thread.ofVirtual().start(LatchkeyConfigSource.this::reload);
            }
        });
    }

    private void reload() {
        try {
            load();
        } catch (LatchkeyException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot read the keys under ''{0}'' again: {1}; the properties keep"
                    + " their last values", prefix, e.getMessage());
        }
    }

    @Override
    public Set<String> getPropertyNames() {
        return Set.copyOf(values.keySet());
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.copyOf(values);
    }

    @Override
    public String getValue(String propertyName) {
        return values.get(propertyName);
    }

    @Override
    public String getName() {
        return "latchkey:" + prefix;
    }

    @Override
    public int getOrdinal() {
        return ordinal;
    }

    @Override
    public void close() {
        Watch w = watch;
        if (w != null) {
            w.close();
        }
        client.close();
    }
}
