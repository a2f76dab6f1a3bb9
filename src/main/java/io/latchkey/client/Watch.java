package io.latchkey.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A watch of the keys under a prefix that survives disconnects: it remembers the revision of
 * the next event it needs and, when the stream ends (a member stops, a connection drops, the
 * stream stays silent past three server heartbeats), opens it again on the next member from
 * that revision, skipping any event it has delivered already. So the listener sees every change
 * once, in revision order, as long as the cluster keeps the history (else {@code onError} with
 * 410). {@link #close()} ends it.
 */
public final class Watch implements AutoCloseable {
    /** The server's comment that opens a stream: {@code watching 'prefix' from revision N}. */
    private static final Pattern OPENED = Pattern.compile("from revision (\\d+)");
    /** The server sends a comment after 5 s of silence; a stream silent much longer is dead. */
    private static final Duration SILENCE_MAX = Duration.ofSeconds(15);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(1);

    private final Transport transport;
    private final String prefix;
    private final WatchListener listener;
    /** The revision of the next event to deliver; 0 until the first stream said where it starts. */
    private final AtomicLong next;
    private final AtomicLong lastLineNanos = new AtomicLong(System.nanoTime());
    private final Thread thread;
    private volatile boolean closed;
    private volatile InputStream body;
    private final ScheduledFuture<?> silenceCheck;
    private final java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);

    Watch(Transport transport, java.util.concurrent.ScheduledExecutorService scheduler, String prefix,
          long fromRevision, WatchListener listener) {
        this.transport = transport;
        this.prefix = prefix;
        this.listener = listener;
        this.next = new AtomicLong(Math.max(0, fromRevision));
        this.silenceCheck = scheduler.scheduleWithFixedDelay(this::closeIfSilent, 1, 1, TimeUnit.SECONDS);
        this.thread = Thread.ofPlatform().daemon().name("latchkey-watch-" + prefix).start(this::run);
    }

    /** The revision of the next event this watch will deliver (0 before the first stream opened). */
    public long nextRevision() {
        return next.get();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(50);
        while (!closed) {
            URI base = transport.endpoint();
            try {
                if (stream(base)) {
                    backoff = Duration.ofMillis(50);
                }
            } catch (LatchkeyException e) {
                if (e.status() != 0 && e.status() != 503 && e.status() != 504) {
                    closed = true;
                    opened.countDown();
                    listener.onError(e);
                    break;
                }
            } catch (IOException e) {
                // The member went away or the stream broke: resume elsewhere from the next revision.
            } catch (InterruptedException e) {
                break;
            }
            if (closed) {
                break;
            }
            transport.failOver(base);
            LockSupport.parkNanos(backoff.toNanos());
            backoff = backoff.multipliedBy(2).compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : backoff.multipliedBy(2);
        }
        silenceCheck.cancel(false);
    }

    /** Reads one stream to its end; true if it delivered at least the opening comment. */
    private boolean stream(URI base) throws IOException, InterruptedException {
        long from = next.get();
        String query = "v1/config/watch?prefix=" + Paths.query(prefix) + (from > 0 ? "&fromRevision=" + from : "");
        HttpResponse<InputStream> r = transport.stream(base, query, null);
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                throw Json.problem(r.statusCode(), in.readAllBytes());
            }
        }
        body = r.body();
        lastLineNanos.set(System.nanoTime());
        boolean opened = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String id = null;
            StringBuilder data = new StringBuilder();
            String line;
            while (!closed && (line = in.readLine()) != null) {
                lastLineNanos.set(System.nanoTime());
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        deliver(id, data.toString());
                    }
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    Matcher m = OPENED.matcher(line);
                    if (!opened && m.find()) {
                        opened = true;
                        next.compareAndSet(0, Long.parseLong(m.group(1)));
                        this.opened.countDown();
                    }
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
                }
            }
        } finally {
            body = null;
        }
        return opened;
    }

    private void deliver(String id, String data) {
        WatchEvent event = Json.read(data, WatchEvent.class);
        long revision = id != null ? Long.parseLong(id) : event.modRevision();
        if (revision < next.get()) {
            return; // Delivered before a reconnect already.
        }
        listener.onEvent(event);
        next.set(revision + 1);
    }

    /** Waits until the first stream is in place (changes from then on are delivered); false on timeout. */
    boolean awaitOpened(Duration timeout) throws InterruptedException {
        return opened.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void closeIfSilent() {
        InputStream in = body;
        if (in != null && System.nanoTime() - lastLineNanos.get() > SILENCE_MAX.toNanos()) {
            closeQuietly(in);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // Closing to end the stream anyway.
        }
    }

    /** Ends the watch; no event is delivered after this returns, unless on the watch thread itself. */
    @Override
    public void close() {
        closed = true;
        silenceCheck.cancel(false);
        InputStream in = body;
        if (in != null) {
            closeQuietly(in);
        }
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
