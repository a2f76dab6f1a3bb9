package io.latchkey.jepsen;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A short harness run in the ordinary build: one seed, 30 s of register and lock clients under
 * kill -9 and SIGSTOP pauses longer than the lease TTL, on loopback (no namespaces needed).
 * Skipped, with the reason, where it cannot run. The seed comes from {@code -Djepsen.seed}
 * (default 1) so a failure can be rerun with scripts/jepsen.sh --seed S --net loopback.
 */
@Tag("jepsen")
class JepsenTest {

    @Test
    void registersAndLocks_stayLinearizableAndFenced_underKillsAndPauses() {
        String reason = JepsenRunner.unavailableReason();
        assumeTrue(reason == null, () -> "jepsen harness skipped: " + reason);
        assumeTrue(Shell.onPath("kill"), "jepsen harness skipped: no kill command");
        long seed = Long.getLong("jepsen.seed", 1);
        JepsenOptions options = JepsenOptions.parse(new String[] {
                "--seed", Long.toString(seed), "--time", "30", "--net", "loopback",
                "--nemesis", "kill,pause", "--workload", "register,lock",
                "--out", Path.of("target", "jepsen").toString()}, false);

        JepsenRunner.Summary summary = JepsenRunner.runAll(options);

        assertThat(summary.errors()).as("runs that could not complete").isEqualTo(List.of());
        assertThat(summary.violations()).as(summary.line() + "; see target/jepsen/" + seed + "/report.txt").isZero();
    }
}
