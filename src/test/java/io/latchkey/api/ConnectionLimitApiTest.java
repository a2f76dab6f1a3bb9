package io.latchkey.api;

import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.microprofile.testing.junit5.AddConfig;
import io.helidon.microprofile.testing.junit5.HelidonTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code server.max-tcp-connections} over real sockets, as the README documents it: Helidon
 * accepts at most that many client connections at once; one more is not refused but waits in
 * the listen backlog (its connect succeeds, its request is not read) until a connection
 * closes, and the node serves as before once they have closed. Raw sockets, not this module's
 * Api client: its pooled connections would count against the bound.
 */
@HelidonTest
@AddConfig(key = "server.max-tcp-connections", value = "4")
@Tag("api")
class ConnectionLimitApiTest {
    private static final int CONNECTIONS_MAX = 4;
    /** How long a connection beyond the bound is watched for an answer that must not come. */
    private static final int UNANSWERED_MILLIS = 1_000;
    private static final int ANSWER_MILLIS = 30_000;

    @Inject
    ServerCdiExtension server;

    @Test
    void aConnectionBeyondTheBoundWaitsUntilOneCloses_andTheNodeServesOnceTheyHaveClosed() throws IOException {
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS_MAX; i++) {
                Socket socket = connect();
                open.add(socket);
                sendRequest(socket);
                assertThat(statusLine(socket)).startsWith("HTTP/1.1 ");
            }
            Socket waiting = connect();
            open.add(waiting);
            sendRequest(waiting);
            waiting.setSoTimeout(UNANSWERED_MILLIS);
            assertThatThrownBy(() -> statusLine(waiting)).as("not served while %d connections are open", CONNECTIONS_MAX)
                    .isInstanceOf(SocketTimeoutException.class);

            open.removeFirst().close();

            waiting.setSoTimeout(ANSWER_MILLIS);
            assertThat(statusLine(waiting)).as("served once a connection closed").startsWith("HTTP/1.1 ");
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
        for (int i = 0; i < 2 * CONNECTIONS_MAX; i++) {
            try (Socket socket = connect()) {
                sendRequest(socket);
                assertThat(statusLine(socket)).as("connection %d after the others closed", i).startsWith("HTTP/1.1 ");
            }
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(ANSWER_MILLIS);
        return socket;
    }

    private static void sendRequest(Socket socket) throws IOException {
        socket.getOutputStream().write("GET /v1/cluster HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** The answer's first line (the rest is left unread: the connection only has to stay open). */
    private static String statusLine(Socket socket) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = socket.getInputStream().read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("the connection closed before an answer: " + line);
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII).strip();
    }
}
