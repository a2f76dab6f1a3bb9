package io.latchkey.transport;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;

import java.time.Duration;

/**
 * A standalone Helidon SE listener serving only the {@link PeerEndpoint}: HTTP/2 (prior
 * knowledge, or ALPN under TLS), TCP_NODELAY. Used by tests, the benchmark and any SE
 * deployment; under Helidon MP the endpoint is registered on the named socket "raft" instead.
 */
public final class PeerServer implements AutoCloseable {
    /** In-flight requests get this long to finish when the listener stops. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofMillis(500);

    private final WebServer server;

    private PeerServer(WebServer server) {
        this.server = server;
    }

    /** Binds {@code config.listenHost():listenPort()} and starts serving; returns once listening. */
    public static PeerServer start(PeerTransportConfig config, PeerEndpoint endpoint) {
        WebServerConfig.Builder builder = WebServer.builder()
                .host(config.listenHost())
                .port(config.listenPort())
                .shutdownGracePeriod(SHUTDOWN_GRACE)
                // Without it Nagle and delayed ACKs hold small Raft messages for ~40 ms each.
                .connectionOptions(socket -> socket.tcpNoDelay(true))
                .routing(routing -> routing.register(PeerHeaders.ROUTE_PREFIX, endpoint));
        if (config.tls() != null) {
            builder.tls(PeerTls.server(config.tls()));
        }
        return new PeerServer(builder.build().start());
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
