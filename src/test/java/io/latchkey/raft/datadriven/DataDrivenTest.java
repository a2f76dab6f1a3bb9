package io.latchkey.raft.datadriven;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataDrivenTest {
    @Test
    void parsesCommandsArgumentsInputAndOutput() {
        List<TestData> all = DataDriven.parse("t.txt", """
                # leading comment

                   committed cfg=(1,2, 3) cfgj=zero flag idx=(_, 5)
                v1 v2
                  r3
                ----
                line one
                line two

                leave-joint
                ----
                ok
                """);
        assertThat(all).hasSize(2);
        TestData d = all.getFirst();
        assertThat(d.pos()).isEqualTo("t.txt:3");
        assertThat(d.cmd()).isEqualTo("committed");
        assertThat(d.cmdArgs()).containsExactly(
                new CmdArg("cfg", List.of("1", "2", "3")),
                new CmdArg("cfgj", List.of("zero")),
                new CmdArg("flag", List.of()),
                new CmdArg("idx", List.of("_", "5")));
        assertThat(d.input()).isEqualTo("v1 v2\n  r3");
        assertThat(d.expected()).isEqualTo("line one\nline two\n");
        assertThat(d.scanLongs("cfg")).containsExactly(1, 2, 3);
        assertThat(d.hasArg("flag")).isTrue();
        assertThat(d.directive()).isEqualTo("committed cfg=(1, 2, 3) cfgj=zero flag idx=(_, 5)");

        assertThat(all.get(1).pos()).isEqualTo("t.txt:10");
        assertThat(all.get(1).expected()).isEqualTo("ok\n");
    }

    @Test
    void joinsDirectiveLinesEndingInABackslash() {
        TestData d = DataDriven.parse("t.txt", """
                add-nodes 3 \\
                   voters=(1,2,3) index=10
                ----
                ok
                """).getFirst();
        assertThat(d.cmd()).isEqualTo("add-nodes");
        assertThat(d.scanLongs("voters")).containsExactly(1, 2, 3);
        assertThat(d.scanLong("index")).isEqualTo(10);
        assertThat(d.cmdArgs().getFirst()).isEqualTo(new CmdArg("3", List.of()));
    }

    @Test
    void doubleSeparatorOutputMayContainBlankLinesAndSeparators() {
        List<TestData> all = DataDriven.parse("t.txt", """
                cmd
                ----
                ----
                a

                ----
                b
                ----
                ----

                next
                ----
                """);
        assertThat(all).hasSize(2);
        assertThat(all.getFirst().expected()).isEqualTo("a\n\n----\nb\n");
        assertThat(all.get(1).cmd()).isEqualTo("next");
        assertThat(all.get(1).expected()).isEmpty();
    }

    @Test
    void scansTypedValues() {
        TestData d = DataDriven.parse("t.txt", "cmd b=true n=7 s=x\n----\n").getFirst();
        assertThat(d.scanBool("b")).isTrue();
        assertThat(d.scanInt("n")).isEqualTo(7);
        assertThat(d.scanString("s")).isEqualTo("x");
        assertThatThrownBy(() -> d.scanLong("missing")).hasMessage("t.txt:1: missing argument: missing");
        assertThatThrownBy(() -> d.scanLong("s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsQuotesEmptyValuesAndNestedParentheses() {
        TestData d = DataDriven.parseDirective("t.txt:1", "propose 1 \"foo\" empty= exprs=(a + (b, c), d)");
        assertThat(d.cmdArgs()).containsExactly(
                new CmdArg("1", List.of()),
                new CmdArg("\"foo\"", List.of()),
                new CmdArg("empty", List.of("")),
                new CmdArg("exprs", List.of("a + (b, c)", "d")));
    }

    @Test
    void rejectsMalformedDirectives() {
        assertThatThrownBy(() -> DataDriven.parse("t.txt", "cmd a=(1,2\n----\n"))
                .isInstanceOf(DataDrivenException.class).hasMessageContaining("t.txt:1: cannot parse directive at column 10: cmd a=(1,2");
    }

    @Test
    void mismatchNamesThePositionAndShowsADiff(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "echo\nhello\n----\nhello\n\necho\nworld\n----\nworld\n");
        assertThatThrownBy(() -> DataDriven.runTest(file, d -> d.input().equals("world") ? "earth" : d.input()))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining(file + ":6: echo\nworld\n")
                .hasMessageContaining("- world\n+ earth\n");
    }

    @Test
    void rewriteReplacesOutputsAndUsesTheDoubleSeparatorWhenNeeded(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "# keep me\necho\nhello\n----\nstale\n\nsplit\n----\nold\n");
        String before = System.getProperty(DataDriven.REWRITE_PROPERTY);
        System.setProperty(DataDriven.REWRITE_PROPERTY, "true");
        try {
            DataDriven.runTestRewritable(file, d -> d.cmd().equals("split") ? "a\n\nb" : d.input());
        } finally {
            if (before == null) {
                System.clearProperty(DataDriven.REWRITE_PROPERTY);
            } else {
                System.setProperty(DataDriven.REWRITE_PROPERTY, before);
            }
        }
        String rewritten = Files.readString(file);
        assertThat(rewritten).isEqualTo("# keep me\necho\nhello\n----\nhello\n\nsplit\n----\n----\na\n\nb\n----\n----\n");
        // What was written reads back as what the handler said.
        DataDriven.runTest(file, d -> d.cmd().equals("split") ? "a\n\nb" : d.input());
    }

    @Test
    void plainRunNeverWrites(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "echo\nhi\n----\nhi\n");
        DataDriven.runTest(file, TestData::input);
        assertThat(Files.readString(file)).isEqualTo("echo\nhi\n----\nhi\n");
    }

    @Test
    void parsesEveryUpstreamFileWhenAvailable() throws IOException {
        Path up = Path.of("/tmp/up");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(up), "no upstream checkout");
        try (var files = Files.walk(up)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt") && p.toString().contains("testdata")).toList()) {
                assertThat(DataDriven.parse(f.toString(), Files.readString(f))).as(f.toString()).isNotEmpty();
            }
        }
    }
}
