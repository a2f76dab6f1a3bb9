package io.latchkey.bench;

import io.latchkey.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one scenario point of a service benchmark: N client threads each looping one timed
 * operation for a warm-up and then a measured interval. Only operations that start and end
 * inside the measured interval count; percentiles come from the sorted latencies of those.
 */
final class LoadHarness {
    private LoadHarness() {
    }

    /** One client's unit of work: a put, a get, or a lock acquire followed by its release. */
    interface Client {
        void op() throws Exception;
    }

    interface ClientFactory {
        Client open(int index) throws Exception;
    }

    record Result(String system, String scenario, int clients, long ops, long errors, double seconds,
                  double p50Millis, double p99Millis, String firstError) {
        double opsPerSecond() {
            return ops / seconds;
        }

        String tsv() {
            return String.join("\t", system, scenario, Integer.toString(clients), Long.toString(ops), Long.toString(errors),
                    String.format("%.3f", seconds), String.format("%.1f", opsPerSecond()),
                    String.format("%.3f", p50Millis), String.format("%.3f", p99Millis),
                    firstError == null ? "" : firstError.replaceAll("[\\t\\n\\r]", " "));
        }

        static Result parse(String line) {
            String[] f = line.split("\t", -1);
            return new Result(f[0], f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Double.parseDouble(f[5]), Double.parseDouble(f[7]), Double.parseDouble(f[8]), f[9].isEmpty() ? null : f[9]);
        }
    }

    /** Growable array of latencies in nanoseconds, one per client thread. */
    private static final class Samples {
        long[] values = new long[1 << 14];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    /**
     * Runs one point. {@code retries} counts the requests the target retried so far; those
     * retried inside the measured window are added to the point's errors.
     */
    static Result run(String system, String scenario, int clients, Duration warmup, Duration measure,
                      ClientFactory factory, java.util.function.LongSupplier retries) throws Exception {
        List<Client> opened = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            opened.add(factory.open(i));
        }
        Samples[] samples = new Samples[clients];
        AtomicLong errors = new AtomicLong();
        String[] firstError = new String[1];
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Client client = opened.get(i);
            Samples mine = samples[i] = new Samples();
            threads.add(Thread.ofPlatform().name(system + "-" + scenario + "-" + i).start(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long start = window[0];
                long end = window[1];
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= end) {
                        return;
                    }
                    try {
                        client.op();
                        long t1 = System.nanoTime();
                        if (t0 >= start && t1 <= end) {
                            mine.add(t1 - t0);
                        }
                    } catch (Exception e) {
                        if (t0 >= start) {
                            errors.incrementAndGet();
                        }
                        synchronized (firstError) {
                            if (firstError[0] == null) {
                                firstError[0] = e.toString();
                            }
                        }
                        backOff();
                    }
                }
            }));
        }
        ready.await();
        long now = System.nanoTime();
        window[0] = now + warmup.toNanos();
        window[1] = window[0] + measure.toNanos();
        go.countDown();
        Await.pause(Duration.ofNanos(window[0] - System.nanoTime()));
        long retriedBefore = retries.getAsLong();
        for (Thread t : threads) {
            t.join();
        }
        errors.addAndGet(retries.getAsLong() - retriedBefore);
        int total = 0;
        for (Samples s : samples) {
            total += s.size;
        }
        long[] all = new long[total];
        int at = 0;
        for (Samples s : samples) {
            System.arraycopy(s.values, 0, all, at, s.size);
            at += s.size;
        }
        Arrays.sort(all);
        return new Result(system, scenario, clients, total, errors.get(), measure.toNanos() / 1e9,
                percentileMillis(all, 0.50), percentileMillis(all, 0.99), firstError[0]);
    }

    /** Nearest-rank percentile. */
    static double percentileMillis(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    /** After a failed operation (e.g. a 503 during an election): a short pause, not a wait for a condition. */
    private static void backOff() {
        Await.pause(Duration.ofMillis(10));
    }
}
