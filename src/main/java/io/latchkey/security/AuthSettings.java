package io.latchkey.security;

import org.eclipse.microprofile.config.Config;

import java.util.List;
import java.util.Optional;

/**
 * How clients authenticate, from MicroProfile JWT's standard keys: {@code latchkey.auth.enabled}
 * (off by default, for the single-node quick start), {@code mp.jwt.verify.publickey.location}
 * (a PEM public key or a JWKS, as a file or an http(s) URL), {@code mp.jwt.verify.publickey}
 * (the same inline), {@code mp.jwt.verify.issuer} and {@code mp.jwt.verify.audiences}; and
 * {@code latchkey.auth.open-paths}, the paths outside /v1 (health, metrics, OpenAPI) that answer
 * without a token.
 */
public record AuthSettings(boolean enabled, Optional<String> publicKey, Optional<String> publicKeyLocation,
                           Optional<String> issuer, List<String> audiences, List<String> openPaths) {
    public static final String ENABLED_KEY = "latchkey.auth.enabled";
    static final String OPEN_PATHS_KEY = "latchkey.auth.open-paths";
    /** Probes, scrapers and API tooling read these without a token unless told otherwise. */
    static final List<String> OPEN_PATHS_DEFAULT = List.of("/health", "/metrics", "/openapi");
    static final String PUBLIC_KEY_KEY = "mp.jwt.verify.publickey";
    static final String LOCATION_KEY = "mp.jwt.verify.publickey.location";
    static final String ISSUER_KEY = "mp.jwt.verify.issuer";
    static final String AUDIENCES_KEY = "mp.jwt.verify.audiences";

    public static AuthSettings from(Config config) {
        boolean enabled = config.getOptionalValue(ENABLED_KEY, Boolean.class).orElse(false);
        AuthSettings settings = new AuthSettings(enabled,
                config.getOptionalValue(PUBLIC_KEY_KEY, String.class),
                config.getOptionalValue(LOCATION_KEY, String.class),
                config.getOptionalValue(ISSUER_KEY, String.class),
                config.getOptionalValues(AUDIENCES_KEY, String.class).orElse(List.of()),
                config.getOptionalValues(OPEN_PATHS_KEY, String.class).orElse(OPEN_PATHS_DEFAULT));
        for (String path : settings.openPaths()) {
            if (!path.startsWith("/") || path.equals("/") || isV1(path)) {
                throw new IllegalArgumentException(OPEN_PATHS_KEY + ": '" + path + "' is not a path outside /v1"
                        + " (such as /health, /metrics or /openapi); /v1 always needs a token when auth is on");
            }
        }
        if (enabled && settings.publicKey().isEmpty() && settings.publicKeyLocation().isEmpty()) {
            throw new IllegalArgumentException(ENABLED_KEY + "=true needs " + LOCATION_KEY + " or " + PUBLIC_KEY_KEY
                    + " (the key that verifies client tokens)");
        }
        if (enabled && settings.issuer().isEmpty()) {
            throw new IllegalArgumentException(ENABLED_KEY + "=true needs " + ISSUER_KEY + " (the issuer of client tokens)");
        }
        return settings;
    }

    /** Whether a request path is under the API, where JAX-RS authenticates it. */
    static boolean isV1(String path) {
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    /** Whether a request path outside /v1 is one of the open paths or under one. */
    boolean open(String path) {
        for (String open : openPaths) {
            if (path.equals(open) || path.startsWith(open.endsWith("/") ? open : open + "/")) {
                return true;
            }
        }
        return false;
    }
}
