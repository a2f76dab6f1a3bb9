package io.latchkey.transport;

import io.helidon.http.Status;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.node.StateHash;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code GET /raft/state-hashes} over real HTTP/2: a member of the cluster gets the hashes the
 * peer serves; a caller without the peer secret gets 401 and one of another cluster 403, like
 * the Raft routes, and neither learns anything.
 */
@Tag("transport")
class StateHashRouteTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final List<StateHash> HASHES = List.of(
            new StateHash(10_000, "a".repeat(64)), new StateHash(20_000, "0123456789abcdef".repeat(4)));

    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable resource : cleanup.reversed()) {
            resource.close();
        }
    }

    private TestNode node(PeerTransportConfig config) throws IOException {
        TestNode node = TestNode.start(config, dir.resolve("node-" + config.localNodeId()));
        cleanup.add(node);
        return node;
    }

    @Test
    void aMemberFetchesThePeersHashes_onceThePeerServesThem() throws Exception {
        TestNode asking = node(TestNode.config(1));
        TestNode asked = node(TestNode.config(2));
        asking.transport.setPeer(2, asked.url());

        assertThatThrownBy(() -> asking.transport.fetchStateHashes(2, WAIT))
                .isInstanceOf(IOException.class).hasMessageContaining("503");
        asked.transport.endpoint().serveStateHashes(() -> HASHES);

        assertThat(asking.transport.fetchStateHashes(2, WAIT)).isEqualTo(HASHES);
        assertThatThrownBy(() -> asking.transport.fetchStateHashes(3, WAIT))
                .isInstanceOf(IOException.class).hasMessageContaining("no peer URL known for member 3");
    }

    @Test
    void aCallerWithoutThePeerSecretOrOfAnotherCluster_isRefused() throws Exception {
        TestNode asked = node(TestNode.config(2));
        asked.transport.endpoint().serveStateHashes(() -> HASHES);
        TestNode wrongSecret = node(PeerTransportConfig.defaults(1, TestNode.CLUSTER, "not-the-secret-0123456789")
                .withListen("127.0.0.1", 0));
        TestNode otherCluster = node(PeerTransportConfig.defaults(3, "other-cluster", TestNode.SECRET)
                .withListen("127.0.0.1", 0));
        wrongSecret.transport.setPeer(2, asked.url());
        otherCluster.transport.setPeer(2, asked.url());

        assertThatThrownBy(() -> wrongSecret.transport.fetchStateHashes(2, WAIT))
                .isInstanceOf(IOException.class).hasMessageContaining("401");
        assertThatThrownBy(() -> otherCluster.transport.fetchStateHashes(2, WAIT))
                .isInstanceOf(IOException.class).hasMessageContaining("403").hasMessageNotContaining(HASHES.get(0).sha256Hex());
        Http2Client anonymous = Http2Client.builder().baseUri(asked.url()).shareConnectionCache(false)
                .protocolConfig(protocol -> protocol.priorKnowledge(true)).build();
        try (Http2ClientResponse response = anonymous.get(PeerHeaders.ROUTE_PREFIX + PeerHeaders.STATE_HASHES_PATH)
                .header(PeerHeaders.CLUSTER_ID, TestNode.CLUSTER).request()) {
            assertThat(response.status()).isEqualTo(Status.UNAUTHORIZED_401);
            assertThat(response.as(String.class)).doesNotContain(HASHES.get(0).sha256Hex());
        } finally {
            anonymous.closeResource();
        }
        assertThat(asked.transport.endpoint().refusedRequests()).isEqualTo(3);
    }
}
