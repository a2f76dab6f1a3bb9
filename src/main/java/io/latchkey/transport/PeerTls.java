package io.latchkey.transport;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.common.tls.TlsConfig;

/**
 * Helidon TLS settings for both ends of a peer connection, from the configured PEM files.
 */
public final class PeerTls {
    private PeerTls() {
    }

    /**
     * Listener side: present our certificate and verify any client certificate against the
     * cluster CA. The handshake lets a client without a certificate through (OPTIONAL) so that
     * {@link PeerEndpoint} refuses it with 401 and counts it, like a request without the secret;
     * a certificate that does not verify still fails the handshake.
     */
    static Tls server(PeerTransportConfig.TlsFiles files) {
        return common(files).clientAuth(TlsClientAuth.OPTIONAL).build();
    }

    /**
     * Sender side: present our certificate and verify the peer's, including that it names the
     * host of the URL (Helidon's default endpoint identification, HTTPS), during the handshake,
     * so no request header (the peer secret, a client's token) goes to a server that fails it.
     */
    public static Tls client(PeerTransportConfig.TlsFiles files) {
        return common(files).build();
    }

    private static TlsConfig.Builder common(PeerTransportConfig.TlsFiles files) {
        return Tls.builder()
                .privateKey(keys -> keys.pem(pem -> pem.key(Resource.create(files.privateKeyPem()))))
                .privateKeyCertChain(keys -> keys.pem(pem -> pem.certChain(Resource.create(files.certChainPem()))))
                .trust(keys -> keys.pem(pem -> pem.certificates(Resource.create(files.trustedCaPem()))));
    }
}
