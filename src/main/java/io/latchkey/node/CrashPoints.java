package io.latchkey.node;

/**
 * Named places in the Ready loop where a test can make the replica crash, to check that no
 * acknowledged state is lost whichever step a crash interrupts. Production uses
 * {@link #NONE}.
 */
@FunctionalInterface
public interface CrashPoints {
    enum Point {
        BEFORE_PERSIST,
        AFTER_PERSIST,
        BEFORE_APPLY,
        AFTER_APPLY,
        BEFORE_SNAPSHOT_APPLY,
        AFTER_SNAPSHOT_APPLY,
        BEFORE_SNAPSHOT_SAVE,
        BEFORE_COMPACTION,
        AFTER_COMPACTION
    }

    CrashPoints NONE = point -> {
    };

    /** Called when the loop reaches {@code point}; throws to simulate a crash there. */
    void reach(Point point);
}
