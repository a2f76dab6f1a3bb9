package io.latchkey.config;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Map;
import java.util.Set;

/**
 * Turns {@code latchkey.peer.tls.*} into the TLS settings of the named socket {@code raft}
 * (the peer listener), so that one set of keys configures both ends of peer connections.
 *
 * <p>Why a config source rather than lines in microprofile-config.properties: Helidon 4.4.0
 * builds a socket's TLS keys from its {@code tls.private-key} settings even with
 * {@code tls.enabled=false}, and an empty default ({@code ${key:}}) or a missing key fails the
 * start, so the settings must be absent unless TLS is on. The switch is therefore read where a
 * container or a test sets it, the environment ({@code LATCHKEY_PEER_TLS_ENABLED}) or a system
 * property; the paths are expressions that MicroProfile Config resolves from every source.
 * {@link NodeSettings} refuses a switch set elsewhere, which this source cannot see.
 *
 * <p>Client auth is OPTIONAL, not REQUIRED: a certificate the trusted CA did not sign still fails
 * the handshake, but a client without one reaches the peer endpoint, which refuses it with 401
 * and counts it (latchkey_peer_refused_requests), as it does a request without the secret.
 */
public final class PeerTlsConfigSource implements ConfigSource {
    static final String SOCKET_TLS_ENABLED = "server.sockets.0.tls.enabled";

    private static final Map<String, String> SOCKET_TLS = Map.of(
            SOCKET_TLS_ENABLED, "true",
            "server.sockets.0.tls.client-auth", "OPTIONAL",
            "server.sockets.0.tls.private-key.pem.cert-chain.resource.path", "${" + NodeSettings.PEER_TLS_CERT_CHAIN + "}",
            "server.sockets.0.tls.private-key.pem.key.resource.path", "${" + NodeSettings.PEER_TLS_PRIVATE_KEY + "}",
            "server.sockets.0.tls.trust.pem.certificates.resource.path", "${" + NodeSettings.PEER_TLS_TRUSTED_CA + "}");

    private final Map<String, String> properties;

    public PeerTlsConfigSource() {
        boolean enabled = "true".equals(System.getProperty(NodeSettings.PEER_TLS_ENABLED))
                || "true".equals(System.getenv("LATCHKEY_PEER_TLS_ENABLED"));
        properties = enabled ? SOCKET_TLS : Map.of();
    }

    @Override
    public Map<String, String> getProperties() {
        return properties;
    }

    @Override
    public Set<String> getPropertyNames() {
        return properties.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties.get(propertyName);
    }

    @Override
    public String getName() {
        return "latchkey-peer-tls";
    }

    /** The properties file's ordinal: these keys appear nowhere else. */
    @Override
    public int getOrdinal() {
        return 100;
    }
}
