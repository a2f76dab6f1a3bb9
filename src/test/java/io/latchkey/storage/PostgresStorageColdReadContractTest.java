package io.latchkey.storage;

import org.junit.jupiter.api.Tag;

/**
 * The same contract with an empty in-memory window: every entry and term read goes to
 * PostgreSQL, so the database read path answers exactly as the memory path does.
 */
@Tag("storage")
class PostgresStorageColdReadContractTest extends PostgresStorageContractTest {
    @Override
    StorageConfig config() {
        return TestPostgres.freshConfig().withWindow(0, 0);
    }
}
