package io.latchkey.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import io.latchkey.client.Lock;
import io.latchkey.client.LockHeld;
import io.latchkey.client.LockInfo;
import io.latchkey.client.Requests;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@HelidonTest
@Tag("api")
class LockApiTest extends ApiTestBase {

    @Test
    void aFreeLockIsGrantedWithAFreshLeaseAndATryLockOnItIs409() {
        String name = Api.unique("jobs") + "/nightly";
        JsonNode held = assertStatus(api.post("/v1/locks/" + name).json(Api.object("ttlSeconds", 30, "owner", "worker-1")).send(), 200).json();
        assertThat(held.path("name").asText()).isEqualTo(name);
        assertThat(held.path("owner").asText()).isEqualTo("worker-1");
        assertThat(held.path("token").asLong()).isPositive();
        long lease = held.path("leaseId").asLong();
        assertThat(api.get("/v1/leases/" + lease).send().json().path("locks")).extracting(JsonNode::asText).containsExactly(name);

        assertProblem(api.post("/v1/locks/" + name).json(Api.object("ttlSeconds", 30)).send(), 409, "waitMillis");
        assertProblem(api.post("/v1/locks/" + name).json(Api.object("ttlSeconds", 30, "waitMillis", 0)).send(), 409, null);

        JsonNode lock = assertStatus(api.get("/v1/locks/" + name).send(), 200).json();
        assertThat(lock.path("token").asLong()).isEqualTo(held.path("token").asLong());
        assertThat(lock.path("leaseId").asLong()).isEqualTo(lease);
        assertThat(lock.path("owner").asText()).isEqualTo("worker-1");
        assertThat(lock.path("waiters")).isEmpty();
    }

    @Test
    void theHoldingLeaseGetsItsGrantBack() {
        long lease = grantLease(30);
        String name = Api.unique("reentrant");
        JsonNode first = assertStatus(api.post("/v1/locks/" + name).json(Api.object("leaseId", lease)).send(), 200).json();
        JsonNode again = assertStatus(api.post("/v1/locks/" + name).json(Api.object("leaseId", lease)).send(), 200).json();
        assertThat(again.path("token")).isEqualTo(first.path("token"));
    }

    @Test
    void releaseNeedsTheHoldersToken() {
        String name = Api.unique("release");
        long token = api.post("/v1/locks/" + name).json(Api.object("ttlSeconds", 30)).send().json().path("token").asLong();
        assertProblem(api.delete("/v1/locks/" + name + "?token=" + (token + 1)).send(), 409, "token");
        assertStatus(api.delete("/v1/locks/" + name + "?token=" + token).send(), 204);
        assertProblem(api.delete("/v1/locks/" + name + "?token=" + token).send(), 404, "name");
        assertProblem(api.get("/v1/locks/" + name).send(), 404, "name");
    }

    @Test
    void aWaiterIsGrantedWhenTheHolderReleasesWithAGreaterToken() throws Exception {
        String name = Api.unique("queue");
        LockHeld first = client().acquireLock(name, new Requests.Acquire(null, 30L, 0L, "first"));

        CompletableFuture<LockHeld> waiting = CompletableFuture.supplyAsync(() -> client().acquireLock(name,
                new Requests.Acquire(null, 30L, 20_000L, "second")));
        Api.awaitCondition(Duration.ofSeconds(10), "the second acquire waits in the queue",
                () -> client().lockInfo(name).orElseThrow().waiters().size() == 1);
        LockInfo.Waiter waiter = client().lockInfo(name).orElseThrow().waiters().getFirst();
        assertThat(waiter.owner()).isEqualTo("second");
        assertThat(waiter.ticket()).isPositive();
        assertThat(client().lease(waiter.leaseId()).orElseThrow().awaitedLocks()).containsExactly(name);

        client().releaseLock(name, first.token());
        LockHeld granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.owner()).isEqualTo("second");
        assertThat(granted.token()).isGreaterThan(first.token());
    }

    @Test
    void aWaitThatRunsOutIs409AndLeavesTheQueue() {
        String name = Api.unique("timeout");
        api.post("/v1/locks/" + name).json(Api.object("ttlSeconds", 30)).send();
        long lease = grantLease(30);
        assertProblem(api.post("/v1/locks/" + name).json(Api.object("leaseId", lease, "waitMillis", 300)).send(), 409, "waitMillis");
        assertThat(api.get("/v1/locks/" + name).send().json().path("waiters")).isEmpty();
        assertThat(api.get("/v1/leases/" + lease).send().json().path("awaitedLocks")).isEmpty();
    }

    @Test
    void anExpiredLeaseReleasesItsLock() {
        String name = Api.unique("expiring");
        LockHeld held = client().acquireLock(name, new Requests.Acquire(null, 1L, 0L, null));
        Api.awaitCondition(Duration.ofSeconds(15), "the lease expires and the lock is free",
                () -> client().lockInfo(name).isEmpty());
        assertThat(client().lease(held.leaseId())).isEmpty();
        try (Lock next = client().lock(name)) {
            assertThat(next.tryAcquire()).isTrue();
            assertThat(next.token()).isGreaterThan(held.token());
        }
    }

    @Test
    void locksAreListedByPrefix() {
        String prefix = Api.unique("listed") + "/";
        for (String n : new String[] {"b", "a"}) {
            assertStatus(api.post("/v1/locks/" + prefix + n).json(Api.object("ttlSeconds", 30)).send(), 200);
        }
        JsonNode list = assertStatus(api.get("/v1/locks?prefix=" + prefix).send(), 200).json();
        assertThat(list.path("locks")).extracting(l -> l.path("name").asText()).containsExactly(prefix + "a", prefix + "b");
        assertThat(api.get("/v1/locks?prefix=" + prefix + "&limit=1&consistency=lease").send().json().path("locks")).hasSize(1);
        assertThat(assertStatus(api.get("/v1/locks").send(), 200).json().path("locks").size()).isPositive();
    }

    @Test
    void anAcquireWithAnIdempotencyKeyIsGrantedOnce() {
        String name = Api.unique("idem-lock");
        String idem = Api.unique("acquire");
        JsonNode first = assertStatus(api.post("/v1/locks/" + name).header("Idempotency-Key", idem)
                .json(Api.object("ttlSeconds", 30)).send(), 200).json();
        JsonNode retry = assertStatus(api.post("/v1/locks/" + name).header("Idempotency-Key", idem)
                .json(Api.object("ttlSeconds", 30)).send(), 200).json();
        assertThat(retry).isEqualTo(first);
    }

    @Test
    void anAcquireOnALeaseThatDoesNotExistIs404() {
        assertProblem(api.post("/v1/locks/" + Api.unique("nolease")).json(Api.object("leaseId", Long.MAX_VALUE)).send(), 404, "leaseId");
    }

    @ParameterizedTest(name = "{0} -> 400 naming {1}")
    @CsvSource(delimiter = '|', value = {
            "{}                                             | leaseId",
            "{\"leaseId\":1,\"ttlSeconds\":5}              | ttlSeconds",
            "{\"ttlSeconds\":0}                            | ttlSeconds",
            "{\"ttlSeconds\":3601}                         | ttlSeconds",
            "{\"leaseId\":0}                               | leaseId",
            "{\"leaseId\":-4}                              | leaseId",
            "{\"ttlSeconds\":5,\"waitMillis\":-1}          | waitMillis",
            "{\"ttlSeconds\":5,\"waitMillis\":300001}      | waitMillis",
            "{\"ttlSeconds\":5,\"owner\":\"a\\u0000b\"}    | owner",
            "{\"ttlSeconds\":\"soon\"}                     | body",
            "{not json                                      | body",
    })
    void invalidAcquiresAre400NamingTheField(String body, String field) {
        assertProblem(api.post("/v1/locks/" + Api.unique("bad")).json(body).send(), 400, field);
    }

    @Test
    void otherInvalidLockRequestsAre400NamingTheField() {
        assertProblem(api.post("/v1/locks/" + Api.unique("owner")).json(Api.object("ttlSeconds", 5, "owner", "o".repeat(257))).send(), 400, "owner");
        String misspelt = Api.unique("misspelt");
        assertProblem(api.post("/v1/locks/" + misspelt).json(Api.object("ttlSeconds", 5, "waitMilis", 1000)).send(), 400, "waitMilis");
        assertThat(api.get("/v1/locks/" + misspelt).send().status()).as("nothing was acquired").isEqualTo(404);
        assertProblem(api.post("/v1/leases").json(Api.object("ttlSeconds", 5, "ttl", 9)).send(), 400, "ttl");
        assertProblem(api.post("/v1/locks/a/../b").json(Api.object("ttlSeconds", 5)).send(), 400, "name");
        assertProblem(api.post("/v1/locks/" + "n".repeat(513)).json(Api.object("ttlSeconds", 5)).send(), 400, "name");
        assertProblem(api.delete("/v1/locks/" + Api.unique("x")).send(), 400, "token");
        assertProblem(api.delete("/v1/locks/" + Api.unique("x") + "?token=abc").send(), 400, "token");
        assertProblem(api.get("/v1/locks/a/../b").send(), 400, "name");
        assertProblem(api.get("/v1/locks?limit=0").send(), 400, "limit");
        assertProblem(api.get("/v1/locks?prefix=..").send(), 400, "prefix");
        assertProblem(api.get("/v1/locks/x?consistency=strong").send(), 400, "consistency");
        assertProblem(api.post("/v1/locks/" + Api.unique("nobody")).send(), 400, "leaseId");
        assertProblem(api.post("/v1/locks/" + Api.unique("text")).text("ttlSeconds=5").send(), 415, null);
    }
}
