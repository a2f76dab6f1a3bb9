package io.latchkey.transport;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.http.Status;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.raft.raftpb.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Peers authenticated by certificates from one cluster CA, with no shared secret configured. */
@Tag("transport")
class MutualTlsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private PeerTransportConfig.TlsFiles tls;

    @BeforeEach
    void issueCertificates() throws Exception {
        // The JDK cannot write a PEM private key; openssl is on every CI image we use.
        assumeTrue(openssl("version") == 0, "openssl is needed to issue test certificates");
        assertThat(openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
                "-keyout", "ca.key", "-out", "ca.pem")).isZero();
        assertThat(openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=node",
                "-keyout", "node.key", "-out", "node.csr")).isZero();
        Files.writeString(dir.resolve("node.ext"),
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
        assertThat(openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", "node.ext", "-out", "node.pem")).isZero();
        tls = new PeerTransportConfig.TlsFiles(dir.resolve("node.pem"), dir.resolve("node.key"), dir.resolve("ca.pem"));
    }

    @Test
    void certifiedPeers_exchangeMessages_andAClientWithoutCertificateIsRefusedAndCounted() throws Exception {
        try (TestNode leader = TestNode.start(config(1), dir.resolve("leader"));
             TestNode follower = TestNode.start(config(2), dir.resolve("follower"))) {
            leader.transport.setPeer(2, follower.url());
            // The follower checks the leader's certificate against the host of its peer URL.
            follower.transport.setPeer(1, leader.url());
            leader.transport.send(List.of(TestNode.append(1, 2, 5)));
            assertThat(Await.next(follower.listener.received, DEADLINE).getIndex()).isEqualTo(5);

            Http2Client anonymous = Http2Client.builder().baseUri(follower.url())
                    .shareConnectionCache(false)
                    .tls(Tls.builder().trust(keys -> keys.pem(pem -> pem.certificates(Resource.create(tls.trustedCaPem()))))
                            .build())
                    .protocolConfig(protocol -> protocol.priorKnowledge(true)).build();
            try (Http2ClientResponse response = anonymous.post("/raft/stream")
                    .header(PeerHeaders.CLUSTER_ID, TestNode.CLUSTER)
                    .submit(PeerSender.encode(List.of(TestNode.append(1, 2, 6))))) {
                assertThat(response.status()).isEqualTo(Status.UNAUTHORIZED_401);
            } finally {
                anonymous.closeResource();
            }
            assertThat(follower.transport.endpoint().refusedRequests()).isEqualTo(1);
            assertThat(follower.listener.received).isEmpty();
            assertThat(leader.listener.unreachable).isEmpty();
        }
    }

    /** A long tolerated silence: the receivers here never answer (see TestNode.config). */
    private PeerTransportConfig config(long id) {
        return PeerTransportConfig.defaults(id, TestNode.CLUSTER, null, tls)
                .withListen("127.0.0.1", 0).withTimeouts(2_000, 60_000, 30_000).withReconnectBackoff(10, 100);
    }

    private int openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        } catch (java.io.IOException notInstalled) {
            return -1;
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
