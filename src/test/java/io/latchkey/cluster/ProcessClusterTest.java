package io.latchkey.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A test of node processes: a test starts {@link #cluster} under {@link #root}; it is stopped after each test. */
abstract class ProcessClusterTest {
    /** Kept when the test fails: the node logs say why. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    ProcessCluster cluster;

    @AfterEach
    void stopCluster() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }
}
