package io.latchkey.api;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request to an SE route of the state API and its answer: path, query and header values
 * as the former JAX-RS resources took them (a value that does not convert is a 400 naming
 * it), the body read once, and JSON, raw or problem+json answers.
 */
final class ApiExchange {
    private static final System.Logger LOG = System.getLogger(ApiExchange.class.getName());
    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    static final Header TEXT_PLAIN = HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/plain");
    static final Header OCTET_STREAM = HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/octet-stream");
    private static final Header JSON = HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json");
    private static final Header PROBLEM_JSON = HeaderValues.create(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE);
    private static final Header RETRY_AFTER = HeaderValues.create(HeaderNames.RETRY_AFTER, "1");

    private final ServerRequest request;
    private final ServerResponse response;
    private Map<String, String> path = Map.of();
    private byte[] body;

    private ApiExchange(ServerRequest request, ServerResponse response) {
        this.request = request;
        this.response = response;
    }

    /**
     * Routes a request through {@code table} to a handler of {@code service}, answering every
     * failure with its problem; a path the table does not serve goes to the next route (the
     * JAX-RS resources).
     */
    static <S> void dispatch(RouteTable<S> table, S service, ServerRequest request, ServerResponse response) {
        ApiExchange exchange = new ApiExchange(request, response);
        try {
            RouteTable.Match<S> match = table.match(request.prologue().method().text(), request.prologue().uriPath().rawPathNoParams());
            if (match == null) {
                response.next();
                return;
            }
            if (!acceptable(request.headers().first(HeaderNames.ACCEPT).orElse(null), match.produces())) {
                throw new ProblemException(406, "Not Acceptable", "HTTP 406 Not Acceptable", null);
            }
            exchange.path = match.parameters();
            match.handler().handle(service, exchange);
        } catch (Throwable t) {
            exchange.fail(t);
        }
    }

    /** Whether an Accept header takes one of these media types (no header takes any). */
    static boolean acceptable(String accept, List<String> produces) {
        if (accept == null || accept.isBlank()) {
            return true;
        }
        for (String range : accept.split(",")) {
            int end = range.indexOf(';');
            String media = (end < 0 ? range : range.substring(0, end)).strip().toLowerCase(Locale.ROOT);
            if (media.equals("*/*") || media.equals("*")) {
                return true;
            }
            for (String type : produces) {
                if (media.equals(type) || (media.endsWith("/*") && type.startsWith(media.substring(0, media.length() - 1)))) {
                    return true;
                }
            }
        }
        return false;
    }

    String method() {
        return request.prologue().method().text();
    }

    /** A path parameter, decoded. */
    String path(String name) {
        return path.get(name);
    }

    /** The path as sent, percent-encoding and query included. */
    String rawTarget() {
        String query = request.query().rawValue();
        return request.prologue().uriPath().rawPath() + (query.isEmpty() ? "" : "?" + query);
    }

    /** A path of this server as an absolute URL, as JAX-RS made the {@code Location} of a 201. */
    String absoluteUrl(String path) {
        String host = header(HeaderNames.HOST);
        return host == null ? path : (request.isSecure() ? "https://" : "http://") + host + path;
    }

    String query(String name) {
        return request.query().contains(name) ? request.query().get(name) : null;
    }

    /** A whole number; null if absent or empty. */
    Long queryLong(String name) {
        String value = query(name);
        try {
            return value == null || value.isEmpty() ? null : Long.valueOf(value);
        } catch (NumberFormatException e) {
            throw wrongFormat(name);
        }
    }

    /** A whole number that fits an int; null if absent or empty. */
    Integer queryInt(String name) {
        Long value = queryLong(name);
        if (value != null && value != value.intValue()) {
            throw wrongFormat(name);
        }
        return value == null ? null : value.intValue();
    }

    /** A path parameter that must be a whole number. */
    long pathLong(String name) {
        try {
            return Long.parseLong(path(name));
        } catch (NumberFormatException e) {
            throw wrongFormat(name);
        }
    }

    private static ProblemException wrongFormat(String name) {
        return ProblemException.badField(name, name + " has the wrong format");
    }

    String header(HeaderName name) {
        return request.headers().first(name).orElse(null);
    }

    /** The request body (empty if none), read on first use. */
    byte[] body() {
        if (body == null) {
            try {
                body = request.content().hasEntity() ? request.content().inputStream().readAllBytes() : new byte[0];
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return body;
    }

    /**
     * The body as a JSON object, taken as JAX-RS took it: null for a request with neither body
     * nor content type (it has none of its fields), 415 for a body in anything but JSON, 400
     * naming {@code body} for an empty or malformed one.
     */
    JsonObject jsonBody() {
        String type = header(HeaderNames.CONTENT_TYPE);
        if (type == null && body().length == 0) {
            return null;
        }
        int end = type == null ? -1 : type.indexOf(';');
        String media = type == null ? "" : (end < 0 ? type : type.substring(0, end)).strip();
        if (!media.equalsIgnoreCase("application/json")) {
            throw new ProblemException(415, "Unsupported Media Type", "HTTP 415 Unsupported Media Type", null);
        }
        if (body().length == 0) {
            throw ProblemException.badField("body", "the body is missing or unreadable: HTTP 400 Bad Request");
        }
        return JsonText.read(body());
    }

    void json(int status, JsonText json) {
        entity(response.status(Status.create(status)).header(JSON), json.bytes());
    }

    void json(JsonText json) {
        json(200, json);
    }

    ApiExchange header(HeaderName name, String value) {
        response.header(name, value);
        return this;
    }

    void send(int status, Header contentType, byte[] bytes) {
        entity(response.status(Status.create(status)).header(contentType), bytes);
    }

    /** An answer whose headers were set one by one (a relayed answer). */
    void relay(int status, byte[] bytes) {
        entity(response.status(Status.create(status)), bytes);
    }

    /** Sends an answer with this entity; to HEAD, only its headers (as JAX-RS did). */
    private void entity(ServerResponse answer, byte[] bytes) {
        if (request.prologue().method().text().equals("HEAD")) {
            answer.header(HeaderNames.CONTENT_LENGTH, String.valueOf(bytes.length)).send();
        } else {
            answer.send(bytes);
        }
    }

    void noContent() {
        response.status(Status.NO_CONTENT_204).send();
    }

    void problem(Problem problem, boolean retryAfter) {
        response.status(Status.create(problem.status())).header(PROBLEM_JSON);
        if (retryAfter) {
            response.header(RETRY_AFTER);
        }
        entity(response, problem.json());
    }

    /** Answers a failure as the JAX-RS resources' {@link ProblemMapper} does. */
    private void fail(Throwable error) {
        if (response.isSent()) {
            LOG.log(Level.WARNING, "failure after the answer was sent", error);
            return;
        }
        Throwable e = ProblemMapper.unwrap(error);
        ProblemMapper.Failure failure = ProblemMapper.failure(e, request.prologue().uriPath().path());
        if (failure == null) {
            LOG.log(Level.WARNING, "request failed", e);
            failure = new ProblemMapper.Failure(Problem.of(500, "Internal error", e.toString(), null));
        }
        if (failure.location() != null) {
            response.header(HeaderNames.LOCATION, failure.location());
        }
        if (failure.allow() != null) {
            response.header(HeaderNames.ALLOW, failure.allow());
        }
        problem(failure.problem(), failure.retryAfter());
    }
}
