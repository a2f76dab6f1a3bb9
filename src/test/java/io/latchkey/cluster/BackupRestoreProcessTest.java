package io.latchkey.cluster;

import io.latchkey.client.KeyList;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.Lease;
import io.latchkey.client.LockHeld;
import io.latchkey.client.LockInfo;
import io.latchkey.client.Requests;
import io.latchkey.client.Snapshot;
import io.latchkey.client.WriteOptions;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void aRestoredSnapshotHasEveryKeyRevisionLeaseAndLock() throws Exception {
        cluster = ProcessCluster.alone(root.resolve("source"), List.of());
        ProcessCluster.NodeProcess source = cluster.nodes.getFirst();
        cluster.startAlone(source, WAIT);
        LatchkeyClient client = source.client();
        for (int i = 0; i < 10; i++) {
            client.put("app/k" + i, "v" + i);
        }
        client.put("app/k3", "v3-again");
        client.delete("app/k9");
        Lease lease = client.grantLease(Duration.ofSeconds(600));
        client.put("app/leased", "mine", WriteOptions.none().lease(lease.id()));
        LockHeld lock = client.acquireLock("jobs/nightly", new Requests.Acquire(null, 600L, 0L, "w1"));

        // The client checks the body against the member's SHA-256 header.
        Snapshot snapshot = client.snapshot();
        KeyList keysBefore = client.list("app/", 100);
        assertThat(keysBefore.revision()).isEqualTo(snapshot.revision());
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

            LatchkeyClient after = restored.client();
            assertThat(after.list("app/", 100)).as("every key with its value, revisions, version and lease").isEqualTo(keysBefore);
            assertThat(after.lease(lease.id()).orElseThrow().keys()).containsExactly("app/leased");
            LockInfo lockAfter = after.lockInfo("jobs/nightly").orElseThrow();
            assertThat(lockAfter.token()).isEqualTo(lock.token());
            assertThat(lockAfter.owner()).isEqualTo("w1");

            assertThat(after.put("app/after", "x").revision()).as("revisions go on from the backup's").isGreaterThan(snapshot.revision());
            // The restored lock is released with its token.
            after.releaseLock("jobs/nightly", lock.token());
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
}
