package io.latchkey.transport;

import io.helidon.http.Status;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientResponse;
import io.latchkey.node.StateHash;
import io.latchkey.raft.raftpb.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("transport")
class Http2PeerTransportTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable resource : cleanup.reversed()) {
            resource.close();
        }
    }

    private static final List<StateHash> HASHES = List.of(
            new StateHash(10_000, "a".repeat(64)), new StateHash(20_000, "0123456789abcdef".repeat(4)));

    private TestNode node(PeerTransportConfig config) throws IOException {
        TestNode node = TestNode.start(config, dir.resolve("node-" + config.localNodeId()));
        cleanup.add(node);
        return node;
    }

    @Test
    void manyMessages_arriveComplete_andInSendOrderPerPeer() throws Exception {
        int perPeer = 5_000;
        TestNode leader = node(TestNode.config(1).withQueueLimits(2 * perPeer, 64L << 20));
        TestNode second = node(TestNode.config(2));
        TestNode third = node(TestNode.config(3));
        leader.transport.setPeer(2, second.url());
        leader.transport.setPeer(3, third.url());
        second.knows(leader);
        third.knows(leader);

        // Small send calls mixing both peers, as a Ready loop would issue them.
        for (int index = 0; index < perPeer; index += 10) {
            List<Message> ready = new ArrayList<>();
            for (int i = index; i < index + 10; i++) {
                ready.add(TestNode.append(1, 2, i));
                ready.add(TestNode.append(1, 3, i));
            }
            leader.transport.send(ready);
        }

        for (TestNode follower : List.of(second, third)) {
            List<Message> got = Await.next(follower.listener.received, perPeer, DEADLINE);
            assertThat(got).extracting(Message::getIndex)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, perPeer).boxed().toList());
            assertThat(got).allSatisfy(m -> assertThat(m.getTo()).isEqualTo(follower.config.localNodeId()));
        }
        assertThat(leader.listener.unreachable).isEmpty();
        assertThat(leader.transport.droppedMessages()).isZero();
    }

    @Test
    void senderWithWrongSecret_isRefusedAndCounted_andNothingIsDelivered() throws Exception {
        TestNode follower = node(TestNode.config(2));
        PeerTransportConfig impostor = PeerTransportConfig.defaults(1, TestNode.CLUSTER, "not-the-secret-0123456789")
                .withListen("127.0.0.1", 0).withReconnectBackoff(10, 100);
        TestNode leader = node(impostor);
        leader.transport.setPeer(2, follower.url());

        leader.transport.send(List.of(TestNode.append(1, 2, 7)));

        assertThat(Await.next(leader.listener.unreachable, DEADLINE)).isEqualTo(2L);
        assertThat(follower.transport.endpoint().refusedRequests()).isEqualTo(1);
        assertThat(follower.listener.received).isEmpty();
    }

    @Test
    void requestWithoutSecretOrFromAnotherCluster_isRefusedAndCounted() throws Exception {
        TestNode follower = node(TestNode.config(2));
        byte[] body = PeerSender.encode(List.of(TestNode.append(1, 2, 7)));
        Http2Client raw = Http2Client.builder().baseUri(follower.url())
                .shareConnectionCache(false)
                .protocolConfig(protocol -> protocol.priorKnowledge(true)).build();
        try {
            try (Http2ClientResponse response = raw.post("/raft/stream")
                    .header(PeerHeaders.CLUSTER_ID, TestNode.CLUSTER).submit(body)) {
                assertThat(response.status()).isEqualTo(Status.UNAUTHORIZED_401);
            }
            try (Http2ClientResponse response = raw.post("/raft/stream")
                    .header(PeerHeaders.CLUSTER_ID, "other-cluster")
                    .header(PeerHeaders.PEER_SECRET, TestNode.SECRET).submit(body)) {
                assertThat(response.status()).isEqualTo(Status.FORBIDDEN_403);
            }
            try (Http2ClientResponse response = raw.post("/raft/snapshot")
                    .header(PeerHeaders.CLUSTER_ID, TestNode.CLUSTER).submit(body)) {
                assertThat(response.status()).isEqualTo(Status.UNAUTHORIZED_401);
            }
        } finally {
            raw.closeResource();
        }
        assertThat(follower.transport.endpoint().refusedRequests()).isEqualTo(3);
        assertThat(follower.listener.received).isEmpty();
    }

    @Test
    void messageForAnotherNode_isRejected_andTheSenderHearsUnreachable() throws Exception {
        TestNode follower = node(TestNode.config(2));
        // The receiver ends the stream at the misdirected message, which the sender learns as
        // from any peer gone silent (Helidon's client goes on writing into a stream its server
        // has answered).
        TestNode leader = node(TestNode.config(1).withTimeouts(1_000, 300, 30_000));
        // A wrong address book: peer 3 mapped onto node 2's listener.
        leader.transport.setPeer(3, follower.url());
        follower.knows(leader);

        long end = System.nanoTime() + DEADLINE.toNanos();
        Long unreachable = null;
        for (long index = 7; unreachable == null && System.nanoTime() < end; index++) {
            leader.transport.send(List.of(TestNode.append(1, 3, index)));
            unreachable = leader.listener.unreachable.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        assertThat(unreachable).isEqualTo(3L);
        assertThat(follower.transport.endpoint().rejectedMessages()).isPositive();
        assertThat(follower.listener.received).isEmpty();
    }

    @Test
    void deadAndSilentPeers_neitherDelayAHealthyPeer_andOverflowReportsThemUnreachable() throws Exception {
        // Requests to the silent peer wait 30 s for an answer: if the healthy peer shared its fate,
        // the 10 s deadline below would fail.
        PeerTransportConfig leaderConfig = TestNode.config(1)
                .withQueueLimits(8, 16L << 20)
                .withTimeouts(1_000, 30_000, 30_000);
        TestNode leader = node(leaderConfig);
        TestNode healthy = node(TestNode.config(2));
        int closedPort = TestNode.freePort();
        SilentServer silent = new SilentServer();
        cleanup.add(silent);

        leader.transport.setPeer(2, healthy.url());
        healthy.knows(leader);
        leader.transport.setPeer(3, "http://127.0.0.1:" + closedPort);
        leader.transport.setPeer(4, "http://127.0.0.1:" + silent.port());

        long started = System.nanoTime();
        for (int index = 0; index < 200; index++) {
            leader.transport.send(List.of(
                    TestNode.append(1, 3, index), TestNode.append(1, 4, index), TestNode.append(1, 2, index)));
            assertThat(Await.next(healthy.listener.received, DEADLINE).getIndex()).isEqualTo(index);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(DEADLINE);

        List<Long> unreachable = new ArrayList<>(leader.listener.unreachable);
        assertThat(unreachable).contains(3L, 4L).doesNotContain(2L);
        assertThat(silent.accepted()).isPositive();

        // Closing must abort the request still waiting on the silent peer, not wait 30 s for it.
        long closing = System.nanoTime();
        leader.transport.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void peerThatNeverAnswers_isReportedUnreachable_andReachedOnAFreshStream() throws Exception {
        // A peer that reads our stream but sends nothing back looks, from here, like one behind a
        // half-open connection: after the silence the sender must give the stream up.
        TestNode leader = node(TestNode.config(1).withTimeouts(1_000, 300, 30_000));
        TestNode mute = node(TestNode.config(2));
        leader.transport.setPeer(2, mute.url());
        mute.knows(leader);

        leader.transport.send(List.of(TestNode.append(1, 2, 1)));
        assertThat(Await.next(mute.listener.received, DEADLINE).getIndex()).isEqualTo(1);
        assertThat(Await.next(leader.listener.unreachable, DEADLINE)).isEqualTo(2L);

        leader.transport.send(List.of(TestNode.append(1, 2, 2)));
        assertThat(Await.next(mute.listener.received, DEADLINE).getIndex()).isEqualTo(2);
        assertThat(leader.transport.droppedMessages()).isZero();
    }

    @Test
    void peerThatAnswers_keepsItsStream() throws Exception {
        TestNode leader = node(TestNode.config(1).withTimeouts(1_000, 300, 30_000));
        TestNode follower = node(TestNode.config(2));
        leader.transport.setPeer(2, follower.url());
        follower.transport.setPeer(1, leader.url());

        // Like Raft's heartbeats and their answers, for ten times the silence the leader allows.
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (long index = 1; System.nanoTime() < end; index++) {
            leader.transport.send(List.of(TestNode.append(1, 2, index)));
            assertThat(Await.next(follower.listener.received, DEADLINE).getIndex()).isEqualTo(index);
            follower.transport.send(List.of(TestNode.append(2, 1, index)));
            assertThat(Await.next(leader.listener.received, DEADLINE).getIndex()).isEqualTo(index);
            // Paces the exchange, and fails as soon as the leader gives its healthy peer up.
            assertThat(leader.listener.unreachable.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS)).isNull();
        }
        assertThat(leader.listener.unreachable).isEmpty();
        assertThat(follower.transport.endpoint().refusedRequests()).isZero();
    }

    @Test
    void peerThatRestarts_isReachedAgain() throws Exception {
        TestNode leader = node(TestNode.config(1));
        TestNode follower = node(TestNode.config(2));
        leader.transport.setPeer(2, follower.url());
        follower.knows(leader);
        leader.transport.send(List.of(TestNode.append(1, 2, 1)));
        assertThat(Await.next(follower.listener.received, DEADLINE).getIndex()).isEqualTo(1);

        follower.stopListener();
        leader.transport.send(List.of(TestNode.append(1, 2, 2)));
        assertThat(Await.next(leader.listener.unreachable, DEADLINE)).isEqualTo(2L);

        follower.restartListener();
        // Like Raft's heartbeats: keep sending until one gets through the new connection.
        long index = 3;
        long end = System.nanoTime() + DEADLINE.toNanos();
        Message arrived = null;
        while (arrived == null && System.nanoTime() < end) {
            leader.transport.send(List.of(TestNode.append(1, 2, index++)));
            arrived = follower.listener.received.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        assertThat(arrived).as("a message after the restart").isNotNull();
        assertThat(arrived.getIndex()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aJoiningNodeAnswersItsFirstContact_untilItsConfigurationNamesItsPeers_andNeverARemovedMember() throws Exception {
        // Like a learner that joined with an empty log: it hears from the leader before its log
        // names any peer, and must answer it.
        TestNode leader = advertising(1);
        TestNode learner = node(TestNode.config(2));
        learner.joinsUnder(leader, DEADLINE);

        // Its first applied configuration ends first contacts: a sender it does not name is refused.
        learner.knows(leader);
        TestNode stranger = advertising(3);
        stranger.transport.setPeer(2, learner.url());
        stranger.transport.send(List.of(TestNode.append(3, 2, 7)));
        awaitRefusals(learner, 1);

        // Once the configuration removes the leader, its requests are refused too.
        learner.transport.removePeer(1);
        leader.transport.send(List.of(TestNode.append(1, 2, 2)));
        awaitRefusals(learner, 2);
        assertThat(learner.listener.received).isEmpty();
    }

    @Test
    void aConfiguredNodeRefusesASenderItDoesNotKnow_evenOneAdvertisingItsUrl_beforeReadingItsMessages() throws Exception {
        TestNode member = node(TestNode.config(2));
        TestNode stranger = advertising(3);
        stranger.transport.setPeer(2, member.url());
        stranger.transport.send(List.of(TestNode.append(3, 2, 7)));
        awaitRefusals(member, 1);
        assertThat(member.transport.endpoint().deliveredMessages()).isZero();
    }

    @Test
    void aNodeBehindTheConfiguration_admitsANewerMember_onceAMemberItKnowsVouchesForIt() throws Exception {
        // Node 2 was down while node 3 was added; node 3, now leader, sends it the log. Node 2
        // knows only node 1, which applied the change that added node 3.
        TestNode known = node(TestNode.config(1));
        TestNode behind = node(TestNode.config(2));
        TestNode newer = advertising(3);
        known.knows(behind);
        known.knows(newer);
        behind.knows(known);
        newer.transport.setPeer(2, behind.url());

        // Like Raft's heartbeats: sent again until one is admitted.
        long end = System.nanoTime() + DEADLINE.toNanos();
        Message arrived = null;
        for (long index = 1; arrived == null && System.nanoTime() < end; index++) {
            newer.transport.send(List.of(TestNode.append(3, 2, index)));
            arrived = behind.listener.received.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        assertThat(arrived).as("a message of the vouched-for member").isNotNull();
        assertThat(arrived.getFrom()).isEqualTo(3);
        assertThat(behind.transport.endpoint().refusedRequests()).as("refused until vouched for").isPositive();
        // And it can answer: it learnt the URL its member gave for node 3.
        behind.transport.send(List.of(TestNode.append(2, 3, 9)));
        assertThat(Await.next(newer.listener.received, DEADLINE).getIndex()).isEqualTo(9);

        // A member vouches only for what it applied: node 4, which it does not know, stays refused.
        TestNode unknown = advertising(4);
        unknown.transport.setPeer(2, behind.url());
        long refused = behind.transport.endpoint().refusedRequests();
        end = System.nanoTime() + DEADLINE.toNanos();
        for (long index = 1; behind.transport.endpoint().refusedRequests() < refused + 3 && System.nanoTime() < end; index++) {
            unknown.transport.send(List.of(TestNode.append(4, 2, index)));
            assertThat(behind.listener.received.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS)).isNull();
        }
        assertThat(behind.transport.endpoint().refusedRequests()).isGreaterThanOrEqualTo(refused + 3);
    }

    /** A node whose requests advertise its peer URL, as every node started by the service does. */
    private TestNode advertising(long id) throws IOException {
        int port = TestNode.freePort();
        return node(TestNode.config(id).withListen("127.0.0.1", port).withAdvertisedPeerUrl("http://127.0.0.1:" + port));
    }

    private static void awaitRefusals(TestNode receiver, long count) {
        io.latchkey.testing.Await.until(DEADLINE, count + " refused requests",
                () -> receiver.transport.endpoint().refusedRequests() >= count);
    }


    /** Accepts connections and never reads or answers: a peer whose process hangs. */
    private static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final Thread acceptor = Thread.ofVirtual().start(this::acceptForever);

        SilentServer() throws IOException {
        }

        int port() {
            return socket.getLocalPort();
        }

        int accepted() {
            return held.size();
        }

        private void acceptForever() {
            try {
                while (true) {
                    held.add(socket.accept());
                }
            } catch (IOException closed) {
                // close() ends the loop.
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            for (Socket connection : held) {
                connection.close();
            }
            acceptor.join();
        }
    }

    /** {@code GET /raft/state-hashes}: a member of the cluster gets the hashes the peer serves. */
    @Test
    void aMemberFetchesThePeersHashes_onceThePeerServesThem() throws Exception {
        TestNode asking = node(TestNode.config(1));
        TestNode asked = node(TestNode.config(2));
        asking.transport.setPeer(2, asked.url());
        asked.knows(asking);

        assertThatThrownBy(() -> asking.transport.fetchStateHashes(2, DEADLINE))
                .isInstanceOf(IOException.class).hasMessageContaining("503");
        asked.transport.endpoint().serveStateHashes(() -> HASHES);

        assertThat(asking.transport.fetchStateHashes(2, DEADLINE)).isEqualTo(HASHES);
        assertThatThrownBy(() -> asking.transport.fetchStateHashes(3, DEADLINE))
                .isInstanceOf(IOException.class).hasMessageContaining("no peer URL known for member 3");
    }

    /** Like the Raft routes: 401 without the peer secret, 403 for another cluster, and no hashes either way. */
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

        assertThatThrownBy(() -> wrongSecret.transport.fetchStateHashes(2, DEADLINE))
                .isInstanceOf(IOException.class).hasMessageContaining("401");
        assertThatThrownBy(() -> otherCluster.transport.fetchStateHashes(2, DEADLINE))
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
