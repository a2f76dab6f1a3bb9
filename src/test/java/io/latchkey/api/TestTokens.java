package io.latchkey.api;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/**
 * Bearer JWTs for the tests of a node with {@code latchkey.auth.enabled=true}: a test key pair
 * whose public half the node reads from {@link #PUBLIC_KEY_FILE} (see {@link #publishPublicKey}).
 */
final class TestTokens {
    static final String PUBLIC_KEY_FILE = "target/auth-test/jwt-public.pem";
    static final String ISSUER = "https://issuer.test";
    static final String AUDIENCE = "latchkey";
    static final KeyPair KEYS = rsaKeyPair();
    static final KeyPair OTHER_KEYS = rsaKeyPair();

    private TestTokens() {
    }

    /**
     * Writes the public key where the node reads it; a test class calls it from its static
     * initializer, which runs before its container starts.
     */
    static void publishPublicKey() {
        try {
            Files.createDirectories(Path.of(PUBLIC_KEY_FILE).getParent());
            Files.writeString(Path.of(PUBLIC_KEY_FILE), "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(KEYS.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A valid token for {@code subject} with these groups, for ten minutes. */
    static String token(String subject, List<String> groups) {
        try {
            return sign(KEYS, claims(subject, groups).build());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static JWTClaimsSet.Builder claims(String subject, List<String> groups) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject(subject).issuer(ISSUER).audience(AUDIENCE).claim("groups", groups)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
    }

    static String sign(KeyPair keys, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
        return jwt.serialize();
    }

    private static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
