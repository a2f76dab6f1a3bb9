package io.latchkey.cluster;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.latchkey.client.KeyList;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.Lease;
import io.latchkey.client.LockHeld;
import io.latchkey.client.LockInfo;
import io.latchkey.client.Requests;
import io.latchkey.client.Snapshot;
import io.latchkey.client.WriteOptions;
import io.latchkey.state.Backups;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.StateBackup;
import io.latchkey.state.proto.StateSnapshot;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
    private static final long MIB = 1 << 20;
    /** The heap of the restore and CLI processes. */
    private static final int HEAP_MIB = 64;
    private static final int LARGE_KEYS = 160;
    private static final int LARGE_VALUE_BYTES = 1_000_000;

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

    /**
     * A backup more than twice the restoring process's heap is checked and restored as a
     * stream (the state never whole in memory), and a damaged copy of it is refused before
     * anything is written.
     */
    @Test
    void aBackupLargerThanTheHeapIsRestoredAsAStream_andADamagedOneIsRefused() throws Exception {
        Path file = root.resolve("large.snapshot");
        long revision = writeLargeBackup(file);
        assertThat(Files.size(file)).isGreaterThan(2 * HEAP_MIB * MIB);

        flipByte(file, Files.size(file) / 2);
        Path damagedDir = root.resolve("damaged-data");
        Run damaged = runJava("restore-damaged", "io.latchkey.server.LatchkeyMain", "restore", file.toString(),
                "--data-dir", damagedDir.toString());
        assertThat(damaged.status()).as(damaged.output()).isEqualTo(1);
        assertThat(damaged.output()).contains("restore failed: the snapshot's state does not match its SHA-256: the file is damaged")
                .doesNotContain("Exception");
        assertThat(damagedDir).as("nothing written for a damaged backup").doesNotExist();
        flipByte(file, Files.size(file) / 2);

        cluster = ProcessCluster.alone(root.resolve("restored"), List.of("-Xmx1g"));
        ProcessCluster.NodeProcess restored = cluster.nodes.getFirst();
        Run restore = runJava("restore", "io.latchkey.server.LatchkeyMain", "restore", file.toString(),
                "--data-dir", restored.dataDir.toString());
        assertThat(restore.status()).as(restore.output()).isZero();
        cluster.startAlone(restored, WAIT);

        LatchkeyClient client = restored.client();
        for (int i : new int[] {0, LARGE_KEYS / 2, LARGE_KEYS - 1}) {
            io.latchkey.client.KeyValue kv = client.get(largeKey(i)).orElseThrow();
            assertThat(kv.value()).isEqualTo(largeValue(i).toStringUtf8());
            assertThat(kv.modRevision()).isEqualTo(i + 1);
        }
        assertThat(client.put("big/after", "x").revision()).as("revisions go on from the backup's").isGreaterThan(revision);

    }

    private record Run(int status, String output) {
    }

    /** Runs {@code mainClass} in a JVM of {@link #HEAP_MIB} MiB of heap. */
    private Run runJava(String name, String mainClass, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP_MIB + "m", "-cp", NodeClasspath.get(), mainClass));
        command.addAll(List.of(args));
        Path log = root.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(name + " finishes").isTrue();
        return new Run(process.exitValue(), Files.readString(log));
    }

    /**
     * Writes a backup of {@link #LARGE_KEYS} keys of about 1 MB each, field by field as the node
     * writes one, without the state in memory; returns its revision.
     */
    private static long writeLargeBackup(Path file) throws IOException {
        long revision = LARGE_KEYS;
        StateSnapshot scalars = StateSnapshot.newBuilder().setRevision(revision).build();
        long stateSizeBytes = scalars.getSerializedSize();
        for (int i = 0; i < LARGE_KEYS; i++) {
            stateSizeBytes += CodedOutputStream.computeMessageSize(StateSnapshot.KEYS_FIELD_NUMBER, largeKeyValue(i));
        }
        MessageDigest sha256 = sha256();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            CodedOutputStream backup = CodedOutputStream.newInstance(out);
            StateBackup.newBuilder().setFormatVersion(Backups.FORMAT_VERSION).setRevision(revision).setAppliedIndex(revision)
                    .setClusterId(1).build().writeTo(backup);
            backup.writeTag(StateBackup.STATE_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            backup.writeUInt64NoTag(stateSizeBytes);
            backup.flush();
            CodedOutputStream state = CodedOutputStream.newInstance(new DigestOutputStream(out, sha256));
            scalars.writeTo(state);
            for (int i = 0; i < LARGE_KEYS; i++) {
                state.writeMessage(StateSnapshot.KEYS_FIELD_NUMBER, largeKeyValue(i));
            }
            state.flush();
            backup.writeBytes(StateBackup.STATE_SHA256_FIELD_NUMBER, ByteString.copyFrom(sha256.digest()));
            backup.flush();
        }
        return revision;
    }

    private static KeyValue largeKeyValue(int i) {
        return KeyValue.newBuilder().setKey(largeKey(i)).setValue(largeValue(i)).setCreateRevision(i + 1)
                .setModRevision(i + 1).setVersion(1).build();
    }

    private static String largeKey(int i) {
        return "big/%04d".formatted(i);
    }

    private static ByteString largeValue(int i) {
        return ByteString.copyFromUtf8(String.valueOf((char) ('a' + i % 26)).repeat(LARGE_VALUE_BYTES));
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x01);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
