package io.latchkey.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies client bearer tokens (signed JWTs) with nimbus-jose-jwt: the signature against the
 * configured keys (RSA or EC), the issuer exactly, the audience when one is configured, and
 * that the token has a subject and has not expired.
 */
public final class TokenVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    private static final String GROUPS_CLAIM = "groups";

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    /** Thrown for a token that is missing, malformed or fails verification: a 401. */
    public static final class InvalidTokenException extends Exception {
        public InvalidTokenException(String message) {
            super(message);
        }
    }

    TokenVerifier(JWKSource<SecurityContext> keys, String issuer, List<String> audiences) {
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                audiences.isEmpty() ? null : new HashSet<>(audiences),
                new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("sub", "exp"), null));
    }

    /** A verifier for these settings (which must have auth enabled). */
    public static TokenVerifier of(AuthSettings settings) {
        return new TokenVerifier(keys(settings), settings.issuer().orElseThrow(), settings.audiences());
    }

    /** The caller a token names; never echoes the token in the exception. */
    public Caller verify(String token) throws InvalidTokenException {
        try {
            JWTClaimsSet claims = processor.process(token, null);
            List<String> groups = claims.getStringListClaim(GROUPS_CLAIM);
            return new Caller(claims.getSubject(), groups == null ? Set.of() : new LinkedHashSet<>(groups));
        } catch (ParseException e) {
            throw new InvalidTokenException("the bearer token is not a signed JWT");
        } catch (BadJOSEException | JOSEException e) {
            throw new InvalidTokenException("the bearer token was refused: " + e.getMessage());
        }
    }

    private static JWKSource<SecurityContext> keys(AuthSettings settings) {
        try {
            if (settings.publicKey().isPresent()) {
                return new ImmutableJWKSet<>(parseKeys(settings.publicKey().get()));
            }
            String location = settings.publicKeyLocation().orElseThrow();
            if (location.startsWith("https://") || location.startsWith("http://")) {
                return JWKSourceBuilder.create(new URI(location).toURL()).build();
            }
            return new ImmutableJWKSet<>(parseKeys(Files.readString(Path.of(location.replaceFirst("^file:", "")))));
        } catch (IOException e) {
            throw new UncheckedIOException(AuthSettings.LOCATION_KEY + ": " + e.getMessage(), e);
        } catch (URISyntaxException | ParseException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the token verification key is neither a PEM public key nor a JWKS: "
                    + e.getMessage(), e);
        }
    }

    /** A JWKS (JSON) or one PEM-encoded public key (RSA or EC). */
    static JWKSet parseKeys(String text) throws ParseException, GeneralSecurityException {
        String trimmed = text.strip();
        if (trimmed.startsWith("{")) {
            return JWKSet.parse(trimmed);
        }
        String base64 = trimmed.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException notRsa) {
            key = KeyFactory.getInstance("EC").generatePublic(spec);
        }
        JWK jwk = key instanceof RSAPublicKey rsa ? new RSAKey.Builder(rsa).build()
                : new ECKey.Builder(Curve.forECParameterSpec(((ECPublicKey) key).getParams()), (ECPublicKey) key).build();
        return new JWKSet(jwk);
    }
}
