package io.latchkey.raft.rafttest;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's own conventions, which need no raft node to observe. */
class InteractionEnvHarnessTest {
    private final InteractionEnv env = new InteractionEnv(null);

    private static Command cmd(String name, Command.Arg... args) {
        return cmd(name, "", args);
    }

    private static Command cmd(String name, String input, Command.Arg... args) {
        return new Command(name, Arrays.asList(args), input, "test.txt:1");
    }

    private static Command.Arg arg(String key, String... vals) {
        return Command.Arg.of(key, vals);
    }

    @Test
    void anUnknownCommandIsReportedInTheOutput() {
        assertThat(env.handle(cmd("frobnicate"))).isEqualTo("unknown command");
    }

    @Test
    void aCommandWithoutOutputReadsOk() {
        assertThat(env.handle(cmd("_breakpoint"))).isEqualTo("ok");
        assertThat(env.handle(cmd("process-ready"))).isEqualTo("ok");
        assertThat(env.handle(cmd("stabilize"))).isEqualTo("ok");
    }

    @Test
    void deliveringWhenNothingIsInFlightSaysSo() {
        assertThat(env.handle(cmd("deliver-msgs", arg("1")))).isEqualTo("no messages\n");
    }

    @Test
    void deliveringAndDroppingForTheSameNodeIsAScriptMistake() {
        assertThatThrownBy(() -> env.handle(cmd("deliver-msgs", arg("1"), arg("drop", "2", "1"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("can't both deliver and drop msgs to 1");
    }

    @Test
    void anUnknownLogLevelListsTheValidOnes() {
        assertThat(env.handle(cmd("log-level", arg("loud"))))
                .isEqualTo("log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]");
    }

    @Test
    void levelNoneHidesOutputButNotErrors() {
        assertThat(env.handle(cmd("log-level", arg("none")))).isEqualTo("ok");
        assertThat(env.handle(cmd("deliver-msgs", arg("1")))).isEqualTo("ok");
        assertThat(env.handle(cmd("frobnicate"))).isEqualTo("unknown command");
        assertThat(env.handle(cmd("log-level", arg("Info")))).isEqualTo("ok");
        assertThat(env.handle(cmd("deliver-msgs", arg("1")))).isEqualTo("no messages\n");
    }

    @Test
    void stabilizeRestoresTheLogLevelEvenWhenItsLevelIsInvalid() {
        assertThat(env.handle(cmd("stabilize", arg("log-level", "shouty"))))
                .isEqualTo("log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]");
        assertThat(env.handle(cmd("stabilize", arg("log-level", "none")))).isEqualTo("ok");
        assertThat(env.output().level()).isZero();
    }

    @Test
    void malformedNumbersInCommandsYieldGoParseErrors() {
        assertThat(env.handle(cmd("compact", arg("1"), arg("x1"))))
                .isEqualTo("strconv.ParseUint: parsing \"x1\": invalid syntax");
        assertThat(env.handle(cmd("propose-conf-change", "v2", arg("1"), arg("v1", "maybe"))))
                .isEqualTo("strconv.ParseBool: parsing \"maybe\": invalid syntax");
    }

    @Test
    void proposeConfChangeRejectsUnknownOptions() {
        assertThat(env.handle(cmd("propose-conf-change", "v2", arg("1"), arg("transition", "sideways"))))
                .isEqualTo("unknown transition sideways");
        assertThat(env.handle(cmd("propose-conf-change", "v2", arg("1"), arg("colour", "red"))))
                .isEqualTo("unknown command colour");
    }

    @Test
    void addNodesRejectsAnUnknownReadOnlyOption() {
        assertThat(env.handle(cmd("add-nodes", arg("1"), arg("read-only", "eventual"))))
                .isEqualTo("invalid read-only option \"eventual\"");
    }

    @Test
    void reportUnreachableNeedsTwoNodes() {
        assertThat(env.handle(cmd("report-unreachable", arg("1"))))
                .isEqualTo("must specify exactly two node indexes: node on which to report, and reported node");
    }

    @Test
    void aNonNumericNodeIdIsAScriptMistake() {
        assertThatThrownBy(() -> env.handle(cmd("campaign", arg("one"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("test.txt:1");
    }

    @Test
    void indentedOutputIsSplitIntoLinesLikeGosScanner() {
        assertThat(InteractionEnv.scanLines("a\nb")).containsExactly("a", "b");
        assertThat(InteractionEnv.scanLines("a\n")).containsExactly("a");
        assertThat(InteractionEnv.scanLines("a\r\n\nb\r")).containsExactly("a", "", "b");
        assertThat(InteractionEnv.scanLines("")).isEmpty();
    }

    @Test
    void withIndentPrefixesEveryLineAndEndsTheLastOne() {
        env.output().write("> 1 handling Ready\n");
        env.withIndent(() -> env.output().write("<empty Ready>"));
        env.withIndent(() -> env.output().write("x\n\ny\n"));

        assertThat(env.output().toString()).isEqualTo("> 1 handling Ready\n  <empty Ready>\n  x\n  \n  y\n");
    }

    @Test
    void theAdapterKeepsArgumentsInScriptOrder() {
        record RawArg(String key, List<String> vals) {
        }
        Command c = Command.from("add-nodes", List.of(new RawArg("3", List.of()), new RawArg("voters", List.of("1", "2"))),
                RawArg::key, RawArg::vals, "", "f.txt:9");

        assertThat(c.args()).containsExactly(arg("3"), arg("voters", "1", "2"));
        assertThat(c.pos()).isEqualTo("f.txt:9");
    }
}
