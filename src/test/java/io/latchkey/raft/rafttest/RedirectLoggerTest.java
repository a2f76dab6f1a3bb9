package io.latchkey.raft.rafttest;

import io.latchkey.raft.RaftPanicException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedirectLoggerTest {
    private final RedirectLogger logger = new RedirectLogger();

    @Test
    void linesArePrefixedWithTheLevelAndEndedOnce() {
        logger.debug("%x became follower at term %d", 1L, 2L);
        logger.info("already ended\n");
        logger.warning("");

        assertThat(logger.toString()).isEqualTo("DEBUG 1 became follower at term 2\nINFO already ended\nWARN ");
    }

    @Test
    void levelsBelowTheThresholdAreNotWritten() {
        logger.setLevel(RedirectLogger.LEVEL_NAMES.indexOf("WARN"));

        logger.debug("d");
        logger.info("i");
        logger.warning("w");
        logger.error("e");

        assertThat(logger.toString()).isEqualTo("WARN w\nERROR e\n");
    }

    @Test
    void panicLogsAtFatalAndThrows() {
        assertThatThrownBy(() -> logger.panic("bad index %d", 7L))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("bad index 7");
        assertThatThrownBy(() -> logger.fatal("gone"))
                .isInstanceOf(RaftPanicException.class)
                .hasMessage("gone");

        assertThat(logger.toString()).isEqualTo("FATAL bad index 7\nFATAL gone\n");
    }

    @Test
    void levelNoneSilencesEverythingButStillThrowsOnPanic() {
        logger.setLevel(RedirectLogger.LEVEL_NAMES.indexOf("NONE"));

        logger.error("e");
        logger.write("harness output");
        assertThatThrownBy(() -> logger.panic("p")).isInstanceOf(RaftPanicException.class);

        assertThat(logger.quiet()).isTrue();
        assertThat(logger.length()).isZero();
    }
}
