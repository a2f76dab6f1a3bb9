package io.latchkey.transport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The receiver's reordering of a sender's pipelined requests. */
@Tag("transport")
class RequestOrderTest {
    private static final long WAIT_MILLIS_MAX = 10_000;

    private final RequestOrder order = new RequestOrder(WAIT_MILLIS_MAX);
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private CompletableFuture<RequestOrder.Turn> arrive(long from, String incarnation, long connection, long sequence) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return order.inTurn(from, incarnation, connection, sequence,
                        () -> ran.add(from + ":" + incarnation + "." + connection + "#" + sequence));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    private void awaitWaiting(CompletableFuture<?> request) {
        // A request that arrived early stays parked until its predecessors ran.
        io.latchkey.testing.Await.pause(Duration.ofMillis(200));
        assertThat(request).isNotDone();
    }

    @Test
    void requestsArrivingOutOfOrder_runInTheOrderTheyWereSent() throws Exception {
        CompletableFuture<RequestOrder.Turn> third = arrive(1, "a", 0, 2);
        CompletableFuture<RequestOrder.Turn> second = arrive(1, "a", 0, 1);
        awaitWaiting(third);
        awaitWaiting(second);
        assertThat(arrive(1, "a", 0, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(ran).containsExactly("1:a.0#0", "1:a.0#1", "1:a.0#2");
    }

    @Test
    void otherSenders_doNotWaitForEachOther() throws Exception {
        CompletableFuture<RequestOrder.Turn> waiting = arrive(1, "a", 0, 1);
        awaitWaiting(waiting);
        assertThat(arrive(2, "b", 0, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(waiting).isNotDone();
        assertThat(arrive(1, "a", 0, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
    }

    @Test
    void newerConnection_supersedesWaitingAndLateRequestsOfTheOlderOne() throws Exception {
        assertThat(arrive(1, "a", 0, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        CompletableFuture<RequestOrder.Turn> stuck = arrive(1, "a", 0, 2);
        awaitWaiting(stuck);

        assertThat(arrive(1, "a", 1, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(stuck.get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.SUPERSEDED);
        assertThat(arrive(1, "a", 0, 1).get(10, TimeUnit.SECONDS)).as("late request of the old connection")
                .isEqualTo(RequestOrder.Turn.SUPERSEDED);
        assertThat(arrive(1, "a", 1, 0).get(10, TimeUnit.SECONDS)).as("a number used already").isEqualTo(RequestOrder.Turn.SUPERSEDED);
        assertThat(ran).containsExactly("1:a.0#0", "1:a.1#0");
    }

    @Test
    void restartedSender_takesOverWhateverItsConnectionNumber() throws Exception {
        assertThat(arrive(1, "a", 5, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(arrive(1, "b", 0, 0).get(10, TimeUnit.SECONDS)).isEqualTo(RequestOrder.Turn.RAN);
        assertThat(ran).containsExactly("1:a.5#0", "1:b.0#0");
    }

    @Test
    void gapThatNeverFills_timesOutTheRequestsAfterIt() throws Exception {
        RequestOrder impatient = new RequestOrder(100);
        assertThat(impatient.inTurn(1, "a", 0, 1, () -> ran.add("late"))).isEqualTo(RequestOrder.Turn.TIMED_OUT);
        assertThat(ran).isEmpty();
        assertThat(impatient.inTurn(1, "a", 0, 0, () -> ran.add("first"))).isEqualTo(RequestOrder.Turn.RAN);
    }
}
