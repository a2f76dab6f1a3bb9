package io.latchkey.logging;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogFormatterTest {
    @Test
    void jsonIsOneParsableObjectPerLineWithTheMember() {
        LogRecord r = new LogRecord(Level.WARNING, "peer {0} said \"no\"\nagain\u2028");
        r.setParameters(new Object[]{"7"});
        r.setLoggerName("io.latchkey.raft");
        r.setInstant(Instant.parse("2026-01-02T03:04:05Z"));
        r.setThrown(new IllegalStateException("boom"));
        String line = new LogFormatter("json", "latchkey-1").format(r);

        assertThat(line).endsWith("\n").doesNotContain("\u2028");
        assertThat(line.strip()).doesNotContain("\n");
        JsonObject o = Json.createReader(new StringReader(line)).readObject();
        assertThat(o.getString("time")).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(o.getString("level")).isEqualTo("WARNING");
        assertThat(o.getString("logger")).isEqualTo("io.latchkey.raft");
        assertThat(o.getString("member")).isEqualTo("latchkey-1");
        assertThat(o.getString("message")).isEqualTo("peer 7 said \"no\"\nagain\u2028");
        assertThat(o.getString("exception")).startsWith("java.lang.IllegalStateException: boom");
    }

    @Test
    void withoutAPodNameOrConfiguredIdTheMemberIsTheStartedNodesId() {
        LogFormatter formatter = new LogFormatter("json", null);
        LogRecord r = new LogRecord(Level.INFO, "hello");
        r.setLoggerName("io.latchkey.raft");
        LogFormatter.nodeStarted("2ea3b407bf491c6c");
        JsonObject o = Json.createReader(new StringReader(formatter.format(r))).readObject();
        assertThat(o.getString("member")).isEqualTo("2ea3b407bf491c6c");
        assertThat(o.getString("level")).isEqualTo("INFO");
    }

    @Test
    void textByDefaultAndABadFormatIsRefusedByName() {
        LogRecord r = new LogRecord(Level.INFO, "hello");
        r.setLoggerName("x");
        assertThat(new LogFormatter(null, null).format(r)).contains("hello").doesNotStartWith("{");
        assertThatThrownBy(() -> new LogFormatter("xml", null)).hasMessageContaining("LATCHKEY_LOG_FORMAT");
    }
}
