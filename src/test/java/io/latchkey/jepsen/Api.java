package io.latchkey.jepsen;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A client of one node's REST API that says what it knows about each request's fate. */
final class Api {
    /** How a request ended, as far as the client can tell. */
    enum Fate {
        /** The node answered with {@link Reply#status}. */
        ANSWERED,
        /** The connection was never made: the request cannot have taken effect. */
        NOT_SENT,
        /** Sent, no answer (timeout, reset): it may or may not take effect. */
        UNKNOWN
    }

    record Reply(Fate fate, int status, String body) {
        boolean answered(int code) {
            return fate == Fate.ANSWERED && status == code;
        }

        /**
         * Whether the request certainly had no effect without telling anything about the state:
         * not sent, or a 503 the node gives before proposing (no leader, not ready, stale leader).
         * A 503 "Stopping" or "Interrupted" may come after a proposal, so it is not one of them.
         */
        boolean certainlyNothing() {
            return fate == Fate.NOT_SENT || (fate == Fate.ANSWERED && status == 503
                    && !body.contains("\"Stopping\"") && !body.contains("\"Interrupted\""));
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    private final String base;

    Api(String base) {
        this.base = base;
    }

    Reply send(String method, String path, String body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(Fate.ANSWERED, r.statusCode(), r.body());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return new Reply(Fate.NOT_SENT, -1, e.toString());
        } catch (IOException e) {
            return new Reply(Fate.UNKNOWN, -1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(Fate.UNKNOWN, -1, "interrupted");
        }
    }

    static long longField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(-?\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** A string field's value (the harness writes only plain ASCII without quotes), or null. */
    static String stringField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }
}
