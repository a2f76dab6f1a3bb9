package io.latchkey.storage;

import io.latchkey.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.latchkey.storage.PostgresLogStoreTest.concat;
import static io.latchkey.storage.PostgresLogStoreTest.entries;
import static io.latchkey.storage.PostgresLogStoreTest.hardState;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write that only moves the commit index is not waited for (etcd's {@code MustSync}), yet is
 * durable once a later write is. To tell a commit that waits for its flush from one that does
 * not, the server is told to wait for a synchronous standby that never connects: a waiting
 * commit then hangs (until the setting is dropped) while one that does not wait returns.
 */
@Tag("storage")
class CommitOnlyWriteTest {
    private static final NodeIdentity NODE = new NodeIdentity(1, 0xc2);
    private static final String SCHEMA = "node_1";
    private static final Duration WAIT_MAX = Duration.ofSeconds(30);

    @Test
    void commitIndexOnlyWrite_returnsWithoutItsFlushAndSurvivesACrashAfterALaterWrite() throws Exception {
        Path dataDir = Path.of("target", "commit-only-test", Long.toHexString(System.nanoTime())).toAbsolutePath();
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir);
        StorageConfig config = StorageConfig.external(server.jdbcUrl(), SCHEMA, Map.of());
        try (PostgresLogStore store = PostgresLogStore.open(config, NODE)) {
            store.persist(hardState(1, 1, 0), entries(1, 1, 3), null);

            setStandbys(server, "latchkey_absent_standby");
            try {
                int oldWriter = store.writerBackendPid();
                // The writer's next connection is opened after the reload, so it surely waits for the standby.
                execute(server, "SELECT pg_terminate_backend(" + oldWriter + ")");
                Await.until(WAIT_MAX, "the old writer session is gone", () -> sessions(server, oldWriter) == 0);

                CompletableFuture<Void> commitOnly = CompletableFuture.runAsync(
                        () -> store.persist(hardState(1, 1, 3), List.of(), null));
                commitOnly.get(WAIT_MAX.toSeconds(), TimeUnit.SECONDS);

                CompletableFuture<Void> append = CompletableFuture.runAsync(
                        () -> store.persist(null, entries(4, 1, 2), null));
                Await.until(WAIT_MAX, "the append waits for its flush (and the absent standby)",
                        () -> "SyncRep".equals(writerWaitEvent(server)));
                assertThat(append).isNotDone();
                setStandbys(server, "");
                append.get(WAIT_MAX.toSeconds(), TimeUnit.SECONDS);
            } finally {
                // Releases a write still waiting, so that closing the store can take its lock.
                setStandbys(server, "");
            }
        }

        killPostgres(server);
        server.close();
        EmbeddedPostgresServer restarted = EmbeddedPostgresServer.start(dataDir);
        try (restarted;
             PostgresLogStore store = PostgresLogStore.open(
                     StorageConfig.external(restarted.jdbcUrl(), SCHEMA, Map.of()), NODE)) {
            assertThat(store.hardState()).as("the commit-only write, flushed by the append after it")
                    .isEqualTo(hardState(1, 1, 3));
            assertThat(store.entries(1, 6, Long.MAX_VALUE)).isEqualTo(concat(entries(1, 1, 3), entries(4, 1, 2)));
        }
    }

    private static void setStandbys(EmbeddedPostgresServer server, String names) {
        execute(server, "ALTER SYSTEM SET synchronous_standby_names TO '" + names + "'");
        execute(server, "SELECT pg_reload_conf()");
        Await.until(WAIT_MAX, "a new session sees synchronous_standby_names = '" + names + "'",
                () -> names.equals(query(server, "SHOW synchronous_standby_names")));
    }

    private static String writerWaitEvent(EmbeddedPostgresServer server) {
        return query(server, "SELECT coalesce(max(wait_event), '') FROM pg_stat_activity WHERE application_name = '"
                + PostgresLogStore.applicationName(PostgresLogStore.WRITER, SCHEMA) + "'");
    }

    private static long sessions(EmbeddedPostgresServer server, int pid) {
        return Long.parseLong(query(server, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid));
    }

    private static String query(EmbeddedPostgresServer server, String sql) {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl());
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static void execute(EmbeddedPostgresServer server, String sql) {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** SIGKILL of the postmaster and its children: nothing gets to write its buffers out. */
    private static void killPostgres(EmbeddedPostgresServer server) throws Exception {
        ProcessHandle postmaster = ProcessHandle.of(server.postmasterPid()).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(0, postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        EmbeddedPostgresServer.awaitExit(all);
    }
}
