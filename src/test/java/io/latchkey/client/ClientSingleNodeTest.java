package io.latchkey.client;

import io.latchkey.cluster.ProcessCluster;
import io.latchkey.testing.Await;
import io.latchkey.testing.ListenPorts;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.ClientBuilder;
import org.glassfish.jersey.client.proxy.WebResourceFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client's operations against one real node process, over real HTTP/2 and JSON. */
@Tag("client")
class ClientSingleNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    @TempDir
    static Path root;
    static ProcessCluster cluster;
    static LatchkeyClient client;

    @BeforeAll
    static void start() throws Exception {
        cluster = new ProcessCluster(root, 1);
        cluster.startAll();
        cluster.awaitLeader(WAIT);
        client = LatchkeyClient.builder().endpoints(cluster.nodes.getFirst().clientUrl()).retryTimeout(WAIT).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void keysCompareAndSetAndBadInput() {
        Written w = client.put("app/db url", "jdbc:postgresql://db/app");
        assertThat(w.version()).isEqualTo(1);
        KeyValue kv = client.get("app/db url").orElseThrow();
        assertThat(kv.text()).isEqualTo("jdbc:postgresql://db/app");
        assertThat(kv.modRevision()).isEqualTo(w.revision());

        byte[] binary = {0, (byte) 0xff, 7};
        client.put("app/bin", binary, WriteOptions.none());
        assertThat(client.get("app/bin").orElseThrow().bytes()).containsExactly(binary);

        client.put("app/db url", "v2", WriteOptions.none().expectRevision(w.revision()));
        assertThatThrownBy(() -> client.put("app/db url", "v3", WriteOptions.none().expectRevision(w.revision())))
                .isInstanceOfSatisfying(LatchkeyException.class, e -> {
                    assertThat(e.isPreconditionFailed()).isTrue();
                    assertThat(e.field()).isEqualTo("expectedRevision");
                });
        assertThat(client.list("app/", 10).keys()).extracting(KeyValue::key).containsExactly("app/bin", "app/db url");
        client.delete("app/bin");
        assertThat(client.get("app/bin")).isEmpty();

        assertThatThrownBy(() -> client.put("a/../b", "x")).isInstanceOfSatisfying(LatchkeyException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.field()).isEqualTo("key");
        });
    }

    @Test
    void lockIsExclusiveAndFencesWrites() {
        Lock first = client.lock("jobs/nightly");
        Lock second = client.lock("jobs/nightly");
        assertThat(first.tryAcquire()).isTrue();
        assertThat(second.tryAcquire(Duration.ofMillis(300))).isFalse();
        long token = first.token();
        first.put("jobs/out", "first");
        assertThat(client.lockInfo("jobs/nightly").orElseThrow().token()).isEqualTo(token);
        Fence stale = first.fence();
        first.close();
        assertThat(first.isHeld()).isFalse();

        try (Lock held = second.acquire()) {
            assertThat(held.token()).isGreaterThan(token);
            assertThatThrownBy(() -> client.put("jobs/out", "stale", WriteOptions.none().fence(stale)))
                    .isInstanceOfSatisfying(LatchkeyException.class, e -> assertThat(e.field()).isEqualTo("token"));
            held.put("jobs/out", "second");
        }
        assertThat(client.get("jobs/out").orElseThrow().text()).isEqualTo("second");
        assertThat(client.lockInfo("jobs/nightly")).isEmpty();
    }

    /** The wire API's own acquire and release, below Lock: a lease granted with the lock, nothing kept alive. */
    @Test
    void acquireLockAndReleaseLockAreSingleGrants() {
        LockHeld held = client.acquireLock("jobs/raw", new Requests.Acquire(null, 30L, 0L, "raw"));
        assertThat(client.lease(held.leaseId()).orElseThrow().locks()).containsExactly("jobs/raw");
        assertThat(client.lockInfo("jobs/raw", "serializable").orElseThrow().token()).isEqualTo(held.token());
        assertThatThrownBy(() -> client.acquireLock("jobs/raw", new Requests.Acquire(null, 30L, 200L, "other")))
                .isInstanceOfSatisfying(LatchkeyException.class, e -> assertThat(e.status()).isEqualTo(409));
        assertThatThrownBy(() -> client.releaseLock("jobs/raw", held.token() + 1000))
                .isInstanceOfSatisfying(LatchkeyException.class, e -> assertThat(e.status()).isEqualTo(409));
        client.releaseLock("jobs/raw", held.token());
        assertThat(client.lockInfo("jobs/raw")).isEmpty();
    }

    /**
     * With a zero retry timeout each request is sent once and its failure says whether it got
     * anywhere: refused connections are "not sent", a request the member took but never answered
     * is not (a write may have been applied).
     */
    @Test
    void withoutRetriesAFailureSaysWhetherTheRequestWasSent() throws Exception {
        String nobody = "http://127.0.0.1:" + ListenPorts.free();
        try (LatchkeyClient once = LatchkeyClient.builder().endpoints(nobody).retryTimeout(Duration.ZERO).build();
             LatchkeyClient retrying = LatchkeyClient.builder().endpoints(nobody).retryTimeout(Duration.ofMillis(500)).build()) {
            assertThatThrownBy(() -> once.put("nowhere", "x")).isInstanceOfSatisfying(LatchkeyException.class, e -> {
                assertThat(e.status()).isZero();
                assertThat(e.isNotSent()).as(e.getMessage()).isTrue();
            });
            assertThatThrownBy(() -> retrying.put("nowhere", "x")).isInstanceOfSatisfying(LatchkeyException.class,
                    e -> assertThat(e.isNotSent()).as("no attempt of several got a connection").isTrue());
        }

        ProcessCluster.NodeProcess node = cluster.nodes.getFirst();
        try (LatchkeyClient once = LatchkeyClient.builder().endpoints(node.clientUrl()).retryTimeout(Duration.ZERO)
                .requestTimeout(Duration.ofSeconds(1)).build()) {
            assertThat(once.put("once/a", "1").version()).isEqualTo(1);
            node.pause();
            try {
                assertThatThrownBy(() -> once.put("once/a", "2")).isInstanceOfSatisfying(LatchkeyException.class, e -> {
                    assertThat(e.status()).isZero();
                    assertThat(e.isNotSent()).as("sent, then no answer: " + e.getMessage()).isFalse();
                });
            } finally {
                node.resume();
            }
        }
        assertThatThrownBy(() -> LatchkeyClient.builder().retryTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void leaseIsKeptAliveAndItsLossIsReported() {
        Lease lease = client.grantLease(Duration.ofSeconds(1));
        client.put("session/a", "x", WriteOptions.none().lease(lease.id()));
        List<LatchkeyException> lost = new CopyOnWriteArrayList<>();
        lease.onLoss((l, reason) -> lost.add(reason));
        // Several TTLs pass: the keep-alives hold the lease and its key.
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        Await.until(Duration.ofSeconds(10), "three TTLs to pass", () -> System.nanoTime() - until > 0);
        assertThat(lease.isAlive()).isTrue();
        assertThat(client.get("session/a")).isPresent();

        client.revokeLease(lease.id());
        Await.until(Duration.ofSeconds(5), "the loss to be reported", () -> !lost.isEmpty());
        assertThat(lost.getFirst().isNotFound()).isTrue();
        assertThat(lease.isAlive()).isFalse();
        assertThat(client.get("session/a")).isEmpty();
    }

    @Test
    void watchDeliversChangesInOrder() {
        List<WatchEvent> events = new CopyOnWriteArrayList<>();
        try (Watch w = client.watch("w/", 0, events::add)) {
            Written a = client.put("w/a", "1");
            client.put("other", "ignored");
            Written b = client.put("w/b", new byte[]{(byte) 0xfe}, WriteOptions.none());
            Written d = client.delete("w/a");
            Await.until(Duration.ofSeconds(10), "three events", () -> events.size() >= 3);
            assertThat(events).extracting(WatchEvent::modRevision).containsExactly(a.revision(), b.revision(), d.revision());
            assertThat(events.get(0).text()).isEqualTo("1");
            assertThat(events.get(1).bytes()).containsExactly((byte) 0xfe);
            assertThat(events.get(2).isDelete()).isTrue();
            assertThat(w.nextRevision()).isEqualTo(d.revision() + 1);
        }
        // From a past revision: the history is replayed.
        List<WatchEvent> replay = new CopyOnWriteArrayList<>();
        try (Watch w = client.watch("w/", 1, replay::add)) {
            Await.until(Duration.ofSeconds(10), "the replay", () -> replay.size() >= 3);
        }
        assertThat(new String(replay.getFirst().key().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo("w/a");
    }

    /** The Rest Client interface's annotations describe the real API: a proxy made from them works. */
    @Test
    void restClientInterfaceMatchesTheApi() {
        Client http = ClientBuilder.newClient();
        try {
            LatchkeyApi api = WebResourceFactory.newResource(LatchkeyApi.class,
                    http.target(cluster.nodes.getFirst().clientUrl()));
            Written w = api.putKey("rest/a", "one".getBytes(StandardCharsets.UTF_8), null, null, null, null, "rest-1");
            assertThat(api.putKey("rest/a", "one".getBytes(StandardCharsets.UTF_8), null, null, null, null, "rest-1"))
                    .as("a retry with the same idempotency key answers the first result").isEqualTo(w);
            assertThat(api.getKey("rest/a", null).value()).isEqualTo("one");
            assertThat(api.listKeys("rest/", 10, "serializable").keys()).hasSize(1);
            LeaseGrant lease = api.grantLease(new Requests.Grant(30), null);
            LockHeld held = api.acquireLock("rest/lock", new Requests.Acquire(lease.id(), null, 0L, "rest"), null);
            assertThat(api.getLock("rest/lock", null).token()).isEqualTo(held.token());
            assertThat(api.listLocks("rest/", null, null).locks()).hasSize(1);
            api.putKey("rest/a", "two".getBytes(StandardCharsets.UTF_8), w.revision(), null, "rest/lock", held.token(), null);
            api.releaseLock("rest/lock", held.token(), null);
            assertThat(api.keepAliveLease(lease.id(), null).ttlSeconds()).isEqualTo(30);
            assertThat(api.getLease(lease.id(), null).locks()).isEmpty();
            api.revokeLease(lease.id(), null);
            assertThat(api.deleteKey("rest/a", null, null, null, null).version()).isZero();
            assertThat(api.getCluster().members()).hasSize(1);
            assertThatThrownBy(() -> api.getKey("rest/a", null)).isInstanceOf(NotFoundException.class);
        } finally {
            http.close();
        }
    }

    @Test
    void clusterView() {
        ClusterInfo c = client.cluster();
        assertThat(c.members()).hasSize(1);
        assertThat(c.leaderId()).isEqualTo(c.nodeId());
    }
}
