package io.latchkey.cluster;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.http.Status;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.client.AddedMember;
import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Member;
import io.latchkey.testing.TestCertificates;
import io.latchkey.transport.PeerHeaders;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three processes whose peer traffic runs over mutual TLS, configured the way the Helm chart
 * does it (LATCHKEY_PEER_TLS_* environment variables, no shared secret), and whose client ports
 * serve TLS with a certificate of the same CA (Helidon's server.tls settings, as the chart sets
 * them): they elect a leader and replicate a write; a follower forwards a write to the leader
 * over TLS with its peer certificate; the peer port fails the handshake of a client whose
 * certificate comes from another CA, refuses one with no certificate (401), and one with a
 * certificate of the cluster CA that claims an id no member has (403; both counted in
 * latchkey_peer_refused_requests); a fourth process joins as a learner over mutual TLS.
 */
@Tag("cluster")
class PeerTlsProcessTest extends ProcessClusterTest {
    private static final Duration ELECTION_WAIT = Duration.ofSeconds(90);
    private static final Pattern REFUSED = Pattern.compile("(?m)^latchkey_peer_refused_requests\\{[^}]*} ([0-9.]+)$");

    @Test
    void threeProcessesOverMutualTls_replicate_andRefuseForeignOrMissingCertificates() throws Exception {
        TestCertificates clusterCa = TestCertificates.authority(root.resolve("pki"), "latchkey-test-ca");
        cluster = new ProcessCluster(root, 4);
        cluster.peerSecret = null;
        cluster.peerScheme = "https";
        cluster.commonEnvironment.put("LATCHKEY_PEER_TLS_ENABLED", "true");
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            TestCertificates.Issued cert = clusterCa.issue("node-" + n.index, "ip:127.0.0.1,dns:localhost");
            n.environment.putAll(Map.of(
                    "LATCHKEY_PEER_TLS_CERT_CHAIN", cert.certChain().toString(),
                    "LATCHKEY_PEER_TLS_PRIVATE_KEY", cert.privateKey().toString(),
                    "LATCHKEY_PEER_TLS_TRUSTED_CA", cert.trustedCa().toString()));
        }
        TestCertificates.Issued clientPort = clusterCa.issue("client-port", "ip:127.0.0.1,dns:localhost");
        cluster.commonProperties.addAll(List.of(
                "-Dserver.tls.private-key.pem.cert-chain.resource.path=" + clientPort.certChain(),
                "-Dserver.tls.private-key.pem.key.resource.path=" + clientPort.privateKey()));
        cluster.useClientTls(TestCertificates.trustingClient(clusterCa.caPem()));
        List<ProcessCluster.NodeProcess> initial = cluster.nodes.subList(0, 3);
        String peers = String.join(",", initial.stream().map(n -> Long.toHexString(n.id) + "=" + n.peerUrl()).toList());
        for (ProcessCluster.NodeProcess n : initial) {
            n.start(List.of("-Dlatchkey.node-id=" + Long.toHexString(n.id), "-Dlatchkey.cluster.peers=" + peers));
        }
        ProcessCluster.NodeProcess leader = cluster.awaitLeader(ELECTION_WAIT);
        for (ProcessCluster.NodeProcess n : initial) {
            assertThat(Files.readString(n.log)).contains("https://127.0.0.1:" + n.peerPort + " bound for socket 'raft'");
        }

        leader.client().put("tls/check", "over-tls");
        for (ProcessCluster.NodeProcess n : initial) {
            cluster.await(Duration.ofSeconds(30), "node " + n.index + " to read the write", () -> "over-tls".equals(value(n, "tls/check")));
        }

        // A follower passes a write on to the leader's https:// client URL: only TLS reaches it.
        ProcessCluster.NodeProcess follower = initial.stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertThat(follower.client().cluster().members()).extracting(Member::clientUrl)
                .contains("https://127.0.0.1:" + leader.clientPort);
        follower.client().put("tls/forwarded", "via-follower");
        assertThat(leader.client().get("tls/forwarded").map(KeyValue::text)).hasValue("via-follower");

        ProcessCluster.NodeProcess target = follower;
        TestCertificates.Issued visitor = clusterCa.issue("visitor", "ip:127.0.0.1");
        assertThat(firstByteAfterPreface(TestCertificates.insistentClient(visitor, clusterCa.caPem()), target.peerPort))
                .as("a certificate from the cluster CA gets an HTTP/2 answer").isNotNegative();
        TestCertificates.Issued foreign = TestCertificates.authority(root.resolve("pki"), "foreign-ca")
                .issue("intruder", "ip:127.0.0.1");
        assertThatThrownBy(() -> firstByteAfterPreface(TestCertificates.insistentClient(foreign, clusterCa.caPem()),
                target.peerPort)).as("a certificate from another CA fails the handshake").isInstanceOf(IOException.class);

        Http2Client anonymous = peerClient(target, Tls.builder()
                .trust(keys -> keys.pem(pem -> pem.certificates(Resource.create(clusterCa.caPem()))))
                .build());
        double refusedBefore = refused(target);
        assertThat(postMessages(anonymous)).isEqualTo(Status.UNAUTHORIZED_401);
        // A certificate of the cluster CA naming the member's very host, claiming an id no member has.
        Http2Client notAMember = peerClient(target, Tls.builder()
                .sslContext(TestCertificates.insistentClient(visitor, clusterCa.caPem())).build());
        assertThat(postMessages(notAMember)).isEqualTo(Status.FORBIDDEN_403);
        assertThat(refused(target)).isEqualTo(refusedBefore + 2);

        // A learner joins with empty storage: it admits the leader that added it before it knows
        // anyone, answers it, and receives the log.
        ProcessCluster.NodeProcess current = cluster.awaitLeader(ELECTION_WAIT);
        ProcessCluster.NodeProcess joiner = cluster.nodes.get(3);
        AddedMember added = current.client().addMember("n4", joiner.peerUrl(), joiner.clientUrl());
        joiner.start(List.of("-Dlatchkey.node-id=" + added.id(), "-Dlatchkey.cluster.id=" + added.clusterId()));
        cluster.await(ELECTION_WAIT, "the learner to know the leader", () -> joiner.leader() == current.id);

        // The refusals did not disturb the members: a second write still reaches every node.
        current.client().put("tls/check", "still-over-tls");
        for (ProcessCluster.NodeProcess n : cluster.nodes) {
            cluster.await(Duration.ofSeconds(30), "node " + n.index + " to read the second write",
                    () -> "still-over-tls".equals(value(n, "tls/check")));
        }
    }

    /** latchkey_peer_refused_requests of node {@code n}; raw HTTP: the metrics are Prometheus text, not the client's API. */
    private static double refused(ProcessCluster.NodeProcess n) {
        java.util.regex.Matcher matcher = REFUSED.matcher(n.call("GET", "/metrics?scope=application", null, null).body());
        assertThat(matcher.find()).as("latchkey_peer_refused_requests is exported").isTrue();
        return Double.parseDouble(matcher.group(1));
    }

    /** The key as node {@code n} answers it now (one request), or null. */
    private static String value(ProcessCluster.NodeProcess n, String key) {
        try {
            return n.probe().get(key).map(KeyValue::text).orElse(null);
        } catch (LatchkeyException e) {
            return null;
        }
    }

    /**
     * Connects over TLS (ALPN h2), sends the HTTP/2 connection preface and an empty SETTINGS
     * frame, and returns the first byte of the answer (the server's SETTINGS), or -1 at EOF.
     */
    private static int firstByteAfterPreface(SSLContext context, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            return socket.getInputStream().read();
        }
    }

    private static Http2Client peerClient(ProcessCluster.NodeProcess target, Tls tls) {
        return Http2Client.builder().baseUri(target.peerUrl())
                .shareConnectionCache(false)
                .readTimeout(Duration.ofSeconds(10))
                .tls(tls)
                .build();
    }

    /** An empty message stream in this cluster's name from unknown member 7: only the credentials decide its fate. */
    private Status postMessages(Http2Client client) {
        String clusterId = cluster.nodes.get(0).client().cluster().clusterId();
        try (Http2ClientResponse response = client.post(PeerHeaders.ROUTE_PREFIX + PeerHeaders.STREAM_PATH)
                .header(PeerHeaders.CLUSTER_ID, clusterId)
                .header(PeerHeaders.FROM, "7")
                // A sender this node does not know, advertising a URL whose host its certificate names.
                .header(PeerHeaders.FROM_URL, "https://127.0.0.1:1")
                .submit(new byte[0])) {
            return response.status();
        } finally {
            client.closeResource();
        }
    }
}
