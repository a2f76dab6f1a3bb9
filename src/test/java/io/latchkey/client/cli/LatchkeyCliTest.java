package io.latchkey.client.cli;

import io.latchkey.cluster.ProcessCluster;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code latchkey} command line against a real node process. */
@Tag("client")
class LatchkeyCliTest {
    @TempDir
    static Path root;
    static ProcessCluster cluster;
    static String endpoint;

    @BeforeAll
    static void start() throws Exception {
        cluster = new ProcessCluster(root, 1);
        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(120));
        endpoint = cluster.nodes.getFirst().clientUrl();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    record Run(int status, String out, String err) {
    }

    private static Run cli(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LatchkeyCli(Map.of("LATCHKEY_ENDPOINTS", endpoint), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))).run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void snapshotSaveWritesABackupThatMatchesItsChecksum() throws Exception {
        assertThat(cli("", "put", "cli/backup", "kept").status()).isZero();
        Path file = root.resolve("cli.snapshot");

        Run saved = cli("", "-o", "json", "snapshot", "save", file.toString());

        assertThat(saved.status()).as(saved.err()).isZero();
        String sha256 = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertThat(saved.out()).contains("\"sha256\":\"" + sha256 + "\"").contains("\"bytes\":" + Files.size(file));
        assertThat(io.latchkey.state.Backups.read(Files.readAllBytes(file)).getState().toStringUtf8()).contains("cli/backup");
        assertThat(cli("", "snapshot", "load", file.toString()).status()).isEqualTo(2);
    }

    @Test
    void keysLeasesMembersAsTableOrJson() {
        assertThat(cli("", "put", "cli/a", "one").status()).isZero();
        assertThat(cli("from stdin", "put", "cli/b").status()).isZero();
        Run get = cli("", "-o", "json", "get", "cli/b");
        assertThat(get.status()).isZero();
        assertThat(get.out()).contains("\"key\":\"cli/b\"").contains("\"value\":\"from stdin\"");
        Run list = cli("", "list", "cli/");
        assertThat(list.out().lines().toList()).hasSize(3).first().asString().startsWith("KEY");
        assertThat(list.out()).contains("cli/a  one");
        assertThat(cli("", "del", "cli/a").status()).isZero();
        Run missing = cli("", "get", "cli/a");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("no key cli/a");

        Run grant = cli("", "-o", "json", "lease", "grant", "30");
        String id = grant.out().replaceAll("(?s).*\"id\":(\\d+).*", "$1");
        assertThat(cli("", "lease", "show", id).out()).contains("30s");
        assertThat(cli("", "lease", "revoke", id).status()).isZero();
        Run gone = cli("", "lease", "revoke", id);
        assertThat(gone.status()).isEqualTo(1);
        assertThat(gone.err()).contains("404");

        Run members = cli("", "member", "list");
        assertThat(members.out()).startsWith("ID").contains("voter").contains(endpoint);
        Run bad = cli("", "put", "a/../b", "x");
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).contains("400").contains("field key");
        assertThat(cli("", "frobnicate").status()).isEqualTo(2);
        assertThat(cli("", "--endpoints", "ftp://x", "get", "k").status()).isEqualTo(2);
    }

    /** Two shells started at once under {@code lock -- CMD}: one runs after the other, each with its own token. */
    @Test
    void lockSerializesTwoConcurrentCommandsAndPassesTheirStatus() throws Exception {
        Path log = root.resolve("lock.log");
        String script = "echo \"start $LATCHKEY_LOCK_TOKEN\" >> " + log + "; sleep 1; echo \"end $LATCHKEY_LOCK_TOKEN\" >> "
                + log + "; exit 3";
        List<Process> shells = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            shells.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", NodeClasspath.get(), LatchkeyCli.class.getName(), "--endpoints", endpoint,
                    "lock", "cli/serial", "--", "sh", "-c", script)
                    .redirectErrorStream(true).redirectOutput(root.resolve("cli-" + i + ".out").toFile()).start());
        }
        for (Process p : shells) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(3);
        }
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(4);
        String first = lines.get(0).substring("start ".length());
        String second = lines.get(2).substring("start ".length());
        assertThat(lines).containsExactly("start " + first, "end " + first, "start " + second, "end " + second);
        assertThat(Long.parseLong(second)).isGreaterThan(Long.parseLong(first));
    }
}
