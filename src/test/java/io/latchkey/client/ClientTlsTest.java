package io.latchkey.client;

import io.latchkey.cluster.ProcessCluster;
import io.latchkey.testing.Await;
import io.latchkey.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client over TLS to a node whose client port serves HTTPS: it trusts the given CA and no other. */
@Tag("client")
class ClientTlsTest {
    @TempDir
    Path root;
    private ProcessCluster cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void talksHttpsTrustingItsCaOnly() throws Exception {
        TestCertificates ca = TestCertificates.authority(root, "clients");
        TestCertificates.Issued cert = ca.issue("node", "ip:127.0.0.1,dns:localhost");
        cluster = new ProcessCluster(root, 1);
        cluster.commonProperties.addAll(List.of(
                "-Dserver.tls.private-key.pem.cert-chain.resource.path=" + cert.certChain(),
                "-Dserver.tls.private-key.pem.key.resource.path=" + cert.privateKey()));
        cluster.startAll();
        String url = cluster.nodes.getFirst().clientUrl().replace("http://", "https://");

        try (LatchkeyClient client = LatchkeyClient.builder().endpoints(url).trustedCa(ca.caPem())
                .retryTimeout(Duration.ofSeconds(120)).build()) {
            Await.until(Duration.ofSeconds(120), "a leader", () -> {
                try {
                    return client.cluster().leaderId() != null;
                } catch (LatchkeyException e) {
                    return false;
                }
            });
            List<WatchEvent> events = new CopyOnWriteArrayList<>();
            try (Watch w = client.watch("tls/", 0, events::add)) {
                Written written = client.put("tls/key", "secret value");
                assertThat(client.get("tls/key").orElseThrow().text()).isEqualTo("secret value");
                Await.until(Duration.ofSeconds(10), "the event over TLS", () -> events.size() == 1);
                assertThat(events.getFirst().modRevision()).isEqualTo(written.revision());
            }
        }

        TestCertificates other = TestCertificates.authority(root, "other");
        try (LatchkeyClient stranger = LatchkeyClient.builder().endpoints(url).trustedCa(other.caPem())
                .retryTimeout(Duration.ofSeconds(2)).build()) {
            assertThatThrownBy(() -> stranger.get("tls/key")).isInstanceOfSatisfying(LatchkeyException.class,
                    e -> assertThat(e.getCause()).isInstanceOf(javax.net.ssl.SSLHandshakeException.class));
        }
    }
}
