package io.latchkey.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A throwaway certificate authority for tests, made with the JDK's keytool (no openssl, no
 * extra library): a self-signed CA, and PEM certificates it signs for serverAuth and
 * clientAuth, the way a cluster's peers get theirs from one CA.
 */
public final class TestCertificates {
    private static final String STORE_PASSWORD = "test-only";

    private final Path dir;
    private final String name;
    private final Path caStore;

    /**
     * One issued certificate: PEM chain (leaf first, then the CA), PEM PKCS#8 key, PEM CA, and
     * the PKCS#12 store holding the key under {@code alias}.
     */
    public record Issued(Path certChain, Path privateKey, Path trustedCa, Path keyStore, String alias) {
    }

    private TestCertificates(Path dir, String name) {
        this.dir = dir;
        this.name = name;
        this.caStore = dir.resolve(name + "-ca.p12");
    }

    /** Creates a CA called {@code name} whose files go to {@code dir}. */
    public static TestCertificates authority(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        TestCertificates ca = new TestCertificates(dir, name);
        ca.keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=" + name, "-ext", "bc:c", "-keystore", ca.caStore.toString());
        ca.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.caStore.toString(),
                "-file", ca.caPem().toString());
        return ca;
    }

    /** The CA certificate, PEM. */
    public Path caPem() {
        return dir.resolve(name + "-ca.pem");
    }

    /**
     * Issues a certificate for {@code subject}, valid for both ends of a TLS connection, whose
     * subject alternative names are {@code san} in keytool's syntax (e.g. {@code ip:127.0.0.1}).
     */
    public Issued issue(String subject, String san) throws IOException {
        Path store = dir.resolve(name + "-" + subject + ".p12");
        Path csr = dir.resolve(name + "-" + subject + ".csr");
        Path leaf = dir.resolve(name + "-" + subject + ".leaf.pem");
        keytool("-genkeypair", "-alias", subject, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=" + subject, "-keystore", store.toString());
        keytool("-certreq", "-alias", subject, "-keystore", store.toString(), "-file", csr.toString());
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-validity", "2",
                "-infile", csr.toString(), "-outfile", leaf.toString(),
                "-ext", "SAN=" + san, "-ext", "EKU=serverAuth,clientAuth", "-ext", "KU=digitalSignature,keyEncipherment");
        Path chain = dir.resolve(name + "-" + subject + ".pem");
        Files.writeString(chain, Files.readString(leaf) + Files.readString(caPem()));
        Path key = dir.resolve(name + "-" + subject + ".key");
        Files.writeString(key, privateKeyPem(store, subject));
        return new Issued(chain, key, caPem(), store, subject);
    }

    /**
     * A TLS client context that presents {@code cert} whatever CAs the server asks for (a JDK
     * client otherwise sends no certificate the server's CA list does not name) and trusts
     * {@code trustedCaPem}: what a misconfigured or hostile peer would do.
     */
    public static SSLContext insistentClient(Issued cert, Path trustedCaPem) throws IOException {
        try (InputStream keys = Files.newInputStream(cert.keyStore());
             InputStream chainPem = Files.newInputStream(cert.certChain())) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(keys, STORE_PASSWORD.toCharArray());
            PrivateKey privateKey = (PrivateKey) store.getKey(cert.alias(), STORE_PASSWORD.toCharArray());
            // The store still holds keytool's self-signed certificate; the CA-signed one is the PEM.
            X509Certificate[] chain = CertificateFactory.getInstance("X.509").generateCertificates(chainPem).stream()
                    .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new X509ExtendedKeyManager() {
                @Override
                public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                    return cert.alias();
                }

                @Override
                public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                    return cert.alias();
                }

                @Override
                public String[] getClientAliases(String keyType, Principal[] issuers) {
                    return new String[] {cert.alias()};
                }

                @Override
                public String[] getServerAliases(String keyType, Principal[] issuers) {
                    return null;
                }

                @Override
                public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                    return null;
                }

                @Override
                public X509Certificate[] getCertificateChain(String alias) {
                    return chain.clone();
                }

                @Override
                public PrivateKey getPrivateKey(String alias) {
                    return privateKey;
                }
            }}, trustManagers(trustedCaPem), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build a TLS client from " + cert.keyStore(), e);
        }
    }

    /** A TLS client context that trusts {@code caPem} alone and presents no certificate. */
    public static SSLContext trustingClient(Path caPem) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers(caPem), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + caPem, e);
        }
    }

    private static TrustManager[] trustManagers(Path caPem) throws IOException, GeneralSecurityException {
        try (InputStream ca = Files.newInputStream(caPem)) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            return tmf.getTrustManagers();
        }
    }

    /** keytool writes no PEM private key; PKCS#8 is what the key store holds, so encode that. */
    private static String privateKeyPem(Path store, String alias) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, STORE_PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) keys.getKey(alias, STORE_PASSWORD.toCharArray());
            return "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key of " + alias + " from " + store, e);
        }
    }

    private void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-noprompt",
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD));
        command.addAll(List.of(args));
        Path log = dir.resolve(name + "-keytool.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool " + args[0] + " ran", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed:\n" + Files.readString(log));
        }
    }
}
