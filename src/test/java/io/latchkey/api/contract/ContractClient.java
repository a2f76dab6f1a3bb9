package io.latchkey.api.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends {@link ContractRequests.Request}s to one node, one at a time or all at once, and holds
 * each answer to the document. Never retries: the tests using it provoke a particular answer.
 * Raw HTTP, not the Java client: the exact status, headers and body are what is checked.
 */
public final class ContractClient {
    /** Longer than the server's own proposal and read timeouts (10 s), which answer 504. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final OpenApiDocument doc;
    private final String baseUrl;

    public ContractClient(OpenApiDocument doc, String baseUrl) {
        this.doc = doc;
        this.baseUrl = baseUrl;
    }

    public HttpResponse<byte[]> send(ContractRequests.Request request) {
        try {
            return http.send(request.toHttp(baseUrl, TIMEOUT), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(request + " to " + baseUrl, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends the request and checks that it answers {@code status} as the document says. */
    public HttpResponse<byte[]> check(ContractRequests.Request request, int status) {
        return check(request, send(request), status);
    }

    /** Sends every request at once (so all are in flight together), then checks each answer. */
    public void checkAllAtOnce(List<ContractRequests.Request> requests, int status) {
        List<CompletableFuture<HttpResponse<byte[]>>> answers = requests.stream()
                .map(r -> http.sendAsync(r.toHttp(baseUrl, TIMEOUT), HttpResponse.BodyHandlers.ofByteArray()))
                .toList();
        for (int i = 0; i < requests.size(); i++) {
            check(requests.get(i), answers.get(i).join(), status);
        }
    }

    private HttpResponse<byte[]> check(ContractRequests.Request request, HttpResponse<byte[]> answer, int status) {
        String where = request + " on " + baseUrl + " -> " + answer.statusCode() + " " + answer.headers().map() + " "
                + new String(answer.body(), StandardCharsets.UTF_8);
        assertThat(answer.statusCode()).as("status of %s", where).isEqualTo(status);
        doc.checkAnswer(request.method(), request.pathWithoutQuery(), answer.statusCode(), answer.headers(), answer.body(), where);
        return answer;
    }
}
