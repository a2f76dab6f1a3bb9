package io.latchkey.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backup and restore as an operator does it, with processes: a node takes keys, a lease and a
 * lock; its snapshot is saved; {@code LatchkeyMain restore} (what {@code java -jar latchkey.jar
 * restore} runs) makes a fresh data directory of it; the node started there has every key with
 * its revisions, the lease and the lock, and takes writes after the backup's revision.
 */
@Tag("cluster")
class BackupRestoreProcessTest extends ProcessClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT = "text/plain";

    @Test
    void aRestoredSnapshotHasEveryKeyRevisionLeaseAndLock() throws Exception {
        cluster = ProcessCluster.alone(root.resolve("source"), List.of());
        ProcessCluster.NodeProcess source = cluster.nodes.getFirst();
        cluster.startAlone(source, WAIT);
        for (int i = 0; i < 10; i++) {
            assertThat(source.callRetrying("PUT", "/v1/config/app/k" + i, "v" + i, TEXT).status()).isEqualTo(200);
        }
        assertThat(source.callRetrying("PUT", "/v1/config/app/k3", "v3-again", TEXT).status()).isEqualTo(200);
        assertThat(source.callRetrying("DELETE", "/v1/config/app/k9", null, null).status()).isEqualTo(200);
        long lease = json(source.callRetrying("POST", "/v1/leases", "{\"ttlSeconds\":600}", "application/json")).path("id").asLong();
        assertThat(source.callRetrying("PUT", "/v1/config/app/leased?leaseId=" + lease, "mine", TEXT).status()).isEqualTo(200);
        JsonNode lock = json(source.callRetrying("POST", "/v1/locks/jobs/nightly", "{\"ttlSeconds\":600,\"owner\":\"w1\"}",
                "application/json"));

        HttpResponse<byte[]> snapshot = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(source.clientUrl() + "/v1/maintenance/snapshot")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(snapshot.statusCode()).isEqualTo(200);
        assertThat(snapshot.headers().firstValue("Latchkey-Snapshot-Sha256")).as("the body's SHA-256")
                .hasValue(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(snapshot.body())));
        long revision = Long.parseLong(snapshot.headers().firstValue("Latchkey-Revision").orElseThrow());
        JsonNode keysBefore = json(source.callRetrying("GET", "/v1/config?prefix=app/&limit=100", null, null));
        assertThat(keysBefore.path("revision").asLong()).isEqualTo(revision);
        Path file = saveWithTheChartsBackupScript(source);

        ProcessCluster restoredCluster = ProcessCluster.alone(root.resolve("restored"), List.of());
        try {
            ProcessCluster.NodeProcess restored = restoredCluster.nodes.getFirst();
            Process restore = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", NodeClasspath.get(), "io.latchkey.server.LatchkeyMain",
                    "restore", file.toString(), "--data-dir", restored.dataDir.toString())
                    .redirectErrorStream(true).redirectOutput(root.resolve("restore.log").toFile()).start();
            assertThat(restore.waitFor(120, TimeUnit.SECONDS)).as("restore finishes").isTrue();
            assertThat(restore.exitValue()).as(Files.readString(root.resolve("restore.log"))).isZero();
            source.stop();

            restoredCluster.startAlone(restored, WAIT);

            JsonNode keysAfter = json(restored.callRetrying("GET", "/v1/config?prefix=app/&limit=100", null, null));
            assertThat(keysAfter).as("every key with its value, revisions, version and lease").isEqualTo(keysBefore);
            JsonNode leaseAfter = json(restored.callRetrying("GET", "/v1/leases/" + lease, null, null));
            assertThat(leaseAfter.path("keys").get(0).asText()).isEqualTo("app/leased");
            JsonNode lockAfter = json(restored.callRetrying("GET", "/v1/locks/jobs/nightly", null, null));
            assertThat(lockAfter.path("token").asLong()).isEqualTo(lock.path("token").asLong());
            assertThat(lockAfter.path("owner").asText()).isEqualTo("w1");

            JsonNode written = json(restored.callRetrying("PUT", "/v1/config/app/after", "x", TEXT));
            assertThat(written.path("revision").asLong()).as("revisions go on from the backup's").isGreaterThan(revision);
            assertThat(restored.callRetrying("DELETE", "/v1/locks/jobs/nightly?token=" + lock.path("token").asLong(), null, null)
                    .status()).as("the restored lock is released with its token").isEqualTo(204);
        } finally {
            restoredCluster.close();
        }
    }

    /** Runs helm/latchkey/files/backup.sh, as the chart's CronJob does, and returns the file it saved. */
    private Path saveWithTheChartsBackupScript(ProcessCluster.NodeProcess source) throws Exception {
        Path dir = Files.createDirectories(root.resolve("backups"));
        ProcessBuilder script = new ProcessBuilder("sh", Path.of("helm", "latchkey", "files", "backup.sh").toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("backup.log").toFile());
        script.environment().putAll(java.util.Map.of("LATCHKEY_URL", source.clientUrl(), "BACKUP_DIR", dir.toString(),
                "BACKUP_KEEP", "2"));
        Process backup = script.start();
        assertThat(backup.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(backup.exitValue()).as(Files.readString(root.resolve("backup.log"))).isZero();
        try (var files = Files.list(dir)) {
            List<Path> saved = files.filter(f -> f.getFileName().toString().endsWith(".snapshot")).toList();
            assertThat(saved).hasSize(1);
            Process check = new ProcessBuilder("sha256sum", "-c", saved.getFirst().getFileName() + ".sha256")
                    .directory(dir.toFile()).start();
            assertThat(check.waitFor(30, TimeUnit.SECONDS) && check.exitValue() == 0).as("sha256sum -c").isTrue();
            return saved.getFirst();
        }
    }

    private static JsonNode json(ProcessCluster.Reply reply) throws IOException {
        assertThat(reply.status()).as(reply.body()).isBetween(200, 299);
        return JSON.readTree(reply.body());
    }
}
