package io.latchkey.jepsen.checker;

import io.latchkey.jepsen.checker.Call.Acquire;
import io.latchkey.jepsen.checker.Call.Cas;
import io.latchkey.jepsen.checker.Call.Delete;
import io.latchkey.jepsen.checker.Call.FencedWrite;
import io.latchkey.jepsen.checker.Call.Read;
import io.latchkey.jepsen.checker.Call.Release;
import io.latchkey.jepsen.checker.Call.SerializableRead;
import io.latchkey.jepsen.checker.Call.Write;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.latchkey.jepsen.checker.HistoryBuilder.absent;
import static io.latchkey.jepsen.checker.HistoryBuilder.done;
import static io.latchkey.jepsen.checker.HistoryBuilder.rejected;
import static io.latchkey.jepsen.checker.HistoryBuilder.revision;
import static io.latchkey.jepsen.checker.HistoryBuilder.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("checker")
class HistoryFileTest {

    @Test
    void everyCallAndResultKind_survivesAWriteAndRead(@TempDir Path dir) {
        History history = new HistoryBuilder()
                .ok(1, 0, 10, new Write("k", "quote \" backslash \\ newline \n tab \t bell \u0007 é"), revision(1))
                .ok(2, 1, 11, new Read("k"), absent())
                .ok(2, 12, 13, new SerializableRead("k"), value("a", 1))
                .ok(3, 2, 14, new Cas("k", 0, "b"), rejected())
                .fail(3, 15, 16, new Delete("k"))
                .info(4, 3, new Acquire("l"))
                .ok(5, 4, 20, new Release("l", 7), done())
                .ok(5, 21, 22, new FencedWrite("r", "v", "l", 7), revision(9))
                .build();
        Path file = dir.resolve("jepsen/42/history.jsonl");

        HistoryFile.write(file, history);

        assertThat(HistoryFile.read(file)).isEqualTo(history);
    }

    @Test
    void oneOperationPerLine_inTheDocumentedShape() {
        Operation op = new HistoryBuilder().ok(1, 120, 340, new Cas("k", 5, "x"), revision(9)).build().operations().getFirst();

        assertThat(HistoryFile.format(op)).isEqualTo("{\"id\":0,\"process\":1,\"outcome\":\"ok\",\"invoke\":120,\"complete\":340,"
                + "\"call\":{\"f\":\"cas\",\"key\":\"k\",\"expected\":5,\"value\":\"x\"},"
                + "\"result\":{\"type\":\"revision\",\"revision\":9}}");
    }

    @Test
    void malformedLine_isReportedWithItsLineNumber(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("history.jsonl");
        Files.writeString(file, HistoryFile.format(new HistoryBuilder().info(1, 0, new Acquire("l")).build().operations().getFirst())
                + "\n{\"id\":1,\"process\":1,\"outcome\":\"ok\"\n");

        assertThatThrownBy(() -> HistoryFile.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ":2: ");
    }
}
