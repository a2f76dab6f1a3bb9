package io.latchkey.storage;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.latchkey.storage.PostgresLogStoreTest.hardState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PostgreSQL on a small tmpfs that fills up: the write that finds the disk full is reported
 * (logged with its SQLState) and retried, not taken for damage, and goes through once space is
 * freed; the store keeps acknowledging and a restart reads everything back. Mounting a tmpfs
 * needs root, which the project's test machines have; elsewhere the test is skipped.
 */
@Tag("storage")
class DiskFullTest {
    private static final NodeIdentity NODE = new NodeIdentity(7, 1);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aFullDisk_isReportedAndRetried_andTheWriteGoesThroughOnceThereIsSpace() throws Exception {
        Path mount = dir.resolve("small-disk");
        Files.createDirectories(mount);
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", mount.toString()) == 0, "mounting a tmpfs needs root");
        ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();
        Logger storeLog = Logger.getLogger(PostgresLogStore.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters() == null ? new Object[0] : record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        storeLog.addHandler(capture);
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(mount)) {
            StorageConfig config = StorageConfig.external(server.jdbcUrl(), "disk_full", Map.of())
                    .withWriteRetryTimeMax(Duration.ofMinutes(2));
            try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
                store.persist(hardState(1, 7, 0), big(1, 10), null);
                Path filler = mount.resolve("filler");
                fill(filler);

                CompletableFuture<Void> write = CompletableFuture.runAsync(() -> store.persist(hardState(1, 7, 10), big(11, 40), null));
                assertThat(Await.within(WAIT, () -> logged.stream().anyMatch(m -> m.contains("SQLState 53100"))))
                        .as("the full disk reported; logged: %s", logged).isTrue();
                assertThat(write).isNotDone();

                Files.delete(filler);
                write.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(store.lastIndex()).isEqualTo(50);
                store.persist(hardState(1, 7, 50), big(51, 1), null);
            }
            try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
                assertThat(store.lastIndex()).isEqualTo(51);
                assertThat(store.entries(11, 52, Long.MAX_VALUE)).hasSize(41)
                        .allSatisfy(e -> assertThat(e.getData().size()).isEqualTo(ENTRY_SIZE_BYTES));
            }
        } finally {
            storeLog.removeHandler(capture);
            run("umount", "-l", mount.toString());
        }
    }

    private static final int ENTRY_SIZE_BYTES = 256 << 10;

    /** Entries of incompressible data, so that they take their size on disk. */
    private static List<Entry> big(long firstIndex, int count) {
        Random random = new Random(firstIndex);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[ENTRY_SIZE_BYTES];
            random.nextBytes(data);
            entries.add(Entry.newBuilder().setIndex(firstIndex + i).setTerm(1).setData(ByteString.copyFrom(data)).build());
        }
        return entries;
    }

    /** Writes the file until the file system is full. */
    private static void fill(Path file) {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException expected) {
            // No space left on device: the disk is full.
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
