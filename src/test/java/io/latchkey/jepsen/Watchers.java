package io.latchkey.jepsen;

import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.History;
import io.latchkey.jepsen.checker.Operation;
import io.latchkey.jepsen.checker.Outcome;
import io.latchkey.jepsen.checker.Result;
import io.latchkey.jepsen.checker.Violation;
import io.latchkey.testing.Await;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The watch workload: clients follow every change of the register keys ({@code jk*}) through
 * {@code GET /v1/config/watch} (Server-Sent Events) while the nemesis works. A watcher starts at
 * revision 1, drops its stream now and then on purpose, and whenever its node stops sending
 * (killed, paused, cut off: two seconds without a byte) or fails, it resumes on a random node
 * with {@code fromRevision} = the last revision it got + 1. {@link #check} then holds each
 * stream to what the register clients were told: no event lost (every acknowledged write,
 * CAS and delete in the revisions a watcher covered is there, with its key, type and value),
 * none reordered or repeated (revisions strictly increase across reconnects), none invented
 * (every event is a write some client asked for), and all watchers agree on each revision.
 */
final class Watchers {
    static final String PREFIX = "jk";
    private static final int IDLE_MILLIS = 2000;

    private Watchers() {
    }

    /** One change as a watcher received it. */
    record Event(long revision, String type, String key, String value) {
    }

    /** One watching client. */
    static final class Watcher implements Runnable {
        private final Workloads.Context ctx;
        private final int number;
        private final Random random;
        /** Everything received, in order (read by the checker after the run). */
        final List<Event> events = new CopyOnWriteArrayList<>();
        /** Revision ranges [from, to] within which this watcher must have every event. */
        final List<long[]> covered = new CopyOnWriteArrayList<>();
        int streams;
        int resumedAfterGone;
        /** The next revision wanted; 0 after a 410 (start from the current one). */
        private long next = 1;

        Watcher(Workloads.Context ctx, int number, long seed) {
            this.ctx = ctx;
            this.number = number;
            this.random = new Random(seed * 31 + number);
        }

        @Override
        public void run() {
            while (ctx.running() && !Thread.currentThread().isInterrupted()) {
                int node = random.nextInt(ctx.nodes.size());
                long keepMillis = 1000 + random.nextInt(5000);
                try {
                    follow(URI.create(ctx.nodes.clientUrl(node)), keepMillis);
                } catch (IOException e) {
                    // The node is down, paused or cut off: resume elsewhere after a moment.
                    Await.pause(Duration.ofMillis(200));
                }
            }
        }

        /** Streams from one node for up to {@code keepMillis}, then lets the stream go. */
        private void follow(URI node, long keepMillis) throws IOException {
            long until = System.nanoTime() + keepMillis * 1_000_000;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(node.getHost(), node.getPort()), 1000);
                socket.setSoTimeout(IDLE_MILLIS);
                String path = "/v1/config/watch?prefix=" + PREFIX + (next > 0 ? "&fromRevision=" + next : "");
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + node.getHost() + ":" + node.getPort()
                        + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = new BufferedInputStream(socket.getInputStream());
                String status = line(in);
                boolean chunked = false;
                for (String header = line(in); !header.isEmpty(); header = line(in)) {
                    String h = header.toLowerCase(Locale.ROOT);
                    chunked |= h.startsWith("transfer-encoding:") && h.contains("chunked");
                }
                String[] parts = status.split(" ");
                int code = parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
                if (code == 410) {
                    // The node no longer keeps revision `next`: events before the current one
                    // may be missed from here on; the new coverage starts at the next event.
                    next = 0;
                    resumedAfterGone++;
                    return;
                }
                if (code != 200) {
                    Await.pause(Duration.ofMillis(200));
                    return;
                }
                streams++;
                InputStream body = chunked ? new Chunked(in) : in;
                long from = next;
                long[] segment = null;
                Map<String, String> frame = new HashMap<>();
                while (System.nanoTime() - until < 0 && ctx.running()) {
                    String l = line(body);
                    if (!l.isEmpty()) {
                        int colon = l.indexOf(':');
                        if (colon > 0) {
                            frame.put(l.substring(0, colon), l.substring(colon + 1).strip());
                        }
                        continue;
                    }
                    if (frame.containsKey("data")) {
                        Event e = event(frame);
                        events.add(e);
                        next = e.revision() + 1;
                        if (segment == null) {
                            segment = segmentFrom(from == 0 ? e.revision() : from);
                        }
                        segment[1] = e.revision();
                    }
                    frame.clear();
                }
            }
        }

        /** The covered range a stream from {@code from} extends: the last one when it ends just before. */
        private long[] segmentFrom(long from) {
            if (!covered.isEmpty() && covered.getLast()[1] == from - 1) {
                return covered.getLast();
            }
            long[] fresh = {from, from};
            covered.add(fresh);
            return fresh;
        }

        private static Event event(Map<String, String> frame) {
            JsonObject data;
            try (JsonReader reader = Json.createReader(new StringReader(frame.get("data")))) {
                data = reader.readObject();
            }
            return new Event(data.getJsonNumber("modRevision").longValueExact(), data.getString("type", null),
                    data.getString("key", null), data.getString("value", null));
        }

        String describe() {
            return "watcher " + number + ": " + events.size() + " events on " + streams + " streams, covered "
                    + covered.stream().map(c -> "[" + c[0] + ", " + c[1] + "]").toList()
                    + (resumedAfterGone > 0 ? ", " + resumedAfterGone + " resumptions refused with 410" : "");
        }
    }

    /** Reads one line (CRLF or LF) as ASCII/UTF-8; an IOException at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("stream ended");
            }
            if (b != '\r') {
                bytes.write(b);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The body of a chunked HTTP/1.1 response. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) {
                    size = line(in);
                }
                try {
                    left = Long.parseLong(size.split(";")[0].strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size: " + size);
                }
                if (left == 0) {
                    return -1;
                }
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }
    }

    /** The watchers' problems, judged against the register clients' history. */
    static List<Violation> check(List<Watcher> watchers, History history) {
        List<Violation> found = new ArrayList<>();
        Map<Long, Event> expected = new HashMap<>();
        Map<Long, Operation> expectedBy = new HashMap<>();
        Set<String> invokedWrites = new HashSet<>();
        for (Operation op : history.operations()) {
            Event e = switch (op.call()) {
                case Call.Write w -> new Event(0, "PUT", w.key(), w.value());
                case Call.Cas c -> new Event(0, "PUT", c.key(), c.value());
                case Call.Delete d -> new Event(0, "DELETE", d.key(), null);
                default -> null;
            };
            if (e == null || !e.key().startsWith(PREFIX)) {
                continue;
            }
            if (e.value() != null) {
                invokedWrites.add(e.key() + "=" + e.value());
            }
            if (op.outcome() == Outcome.OK && op.result() instanceof Result.Revision r) {
                expected.put(r.revision(), new Event(r.revision(), e.type(), e.key(), e.value()));
                expectedBy.put(r.revision(), op);
            }
        }
        Map<Long, Event> seen = new HashMap<>();
        for (Watcher w : watchers) {
            Map<Long, Event> mine = new HashMap<>();
            long last = 0;
            for (Event e : w.events) {
                if (e.revision() <= last) {
                    found.add(new Violation("watcher " + w.number + " got revision " + e.revision() + " after " + last
                            + " (reordered or repeated): " + e, List.of()));
                }
                last = Math.max(last, e.revision());
                mine.put(e.revision(), e);
                Event other = seen.putIfAbsent(e.revision(), e);
                if (other != null && !other.equals(e)) {
                    found.add(new Violation("watchers disagree on revision " + e.revision() + ": " + other + " and " + e, List.of()));
                }
                if (e.type().equals("PUT") && !invokedWrites.contains(e.key() + "=" + e.value())) {
                    found.add(new Violation("watcher " + w.number + " got an event no client wrote: " + e, List.of()));
                }
            }
            for (var entry : expected.entrySet()) {
                long revision = entry.getKey();
                boolean inRange = w.covered.stream().anyMatch(c -> c[0] <= revision && revision <= c[1]);
                Event got = mine.get(revision);
                if (inRange && !entry.getValue().equals(got)) {
                    found.add(new Violation("watcher " + w.number + " " + (got == null ? "lost" : "got " + got + " for")
                            + " the acknowledged change " + entry.getValue() + " within its covered revisions",
                            List.of(expectedBy.get(revision))));
                }
            }
        }
        return found;
    }
}
