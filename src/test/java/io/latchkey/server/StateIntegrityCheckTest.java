package io.latchkey.server;

import io.latchkey.node.StateHash;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the corruption alarm goes on and off, one comparison round at a time: on at the first
 * mismatch, off only once every other member was reached and agrees past the mismatch.
 */
@Tag("cluster")
class StateIntegrityCheckTest {
    private static final long SELF = 1;
    private static final Set<Long> THREE = Set.of(1L, 2L, 3L);

    private final Map<Long, List<StateHash>> hashesOf = new HashMap<>();
    private final StateIntegrityCheck check = new StateIntegrityCheck(null, SELF, id -> {
        List<StateHash> hashes = hashesOf.get(id);
        if (hashes == null) {
            throw new IOException("member " + id + " unreachable");
        }
        return hashes;
    }, Duration.ofDays(1));

    @AfterEach
    void close() {
        check.close();
    }

    @Test
    void aMismatchRaisesTheAlarm_whichStaysWhileAMemberStillDiffersOrCannotBeReached() {
        List<StateHash> local = List.of(hash(10, "a"), hash(20, "b"));
        hashesOf.put(2L, local);
        hashesOf.put(3L, List.of(hash(10, "a"), hash(20, "X")));

        check.compare(local, THREE);

        assertThat(check.alarm()).isEqualTo(new StateIntegrityCheck.Alarm(20, 1, "b", 3, "X"));
        assertThat(check.agreedIndex()).isEqualTo(20);

        List<StateHash> later = List.of(hash(20, "b"), hash(30, "c"));
        hashesOf.put(2L, later);
        hashesOf.put(3L, List.of(hash(30, "Y")));
        check.compare(later, THREE);
        assertThat(check.alarm()).as("member 3 still differs").isNotNull();

        hashesOf.remove(3L);
        check.compare(later, THREE);
        assertThat(check.alarm()).as("member 3 unreachable: not known to agree").isNotNull();

        hashesOf.put(3L, List.of(hash(20, "b")));
        check.compare(later, THREE);
        assertThat(check.alarm()).as("agreeing only up to the mismatch's index").isNotNull();
    }

    @Test
    void theAlarmClears_onceEveryOtherMemberAgreesPastTheMismatch() {
        raiseWithMember3Differing();

        // Member 3 replaced: it caught up from a good snapshot and hashes as the others do.
        List<StateHash> later = List.of(hash(20, "b"), hash(30, "c"));
        hashesOf.put(2L, later);
        hashesOf.put(3L, List.of(hash(30, "c")));
        check.compare(later, THREE);

        assertThat(check.alarm()).isNull();
        assertThat(check.agreedIndex()).isEqualTo(30);
    }

    @Test
    void theAlarmClears_onceTheOddMemberIsRemoved() {
        raiseWithMember3Differing();

        List<StateHash> later = List.of(hash(20, "b"), hash(30, "c"));
        hashesOf.put(2L, later);
        check.compare(later, Set.of(1L, 2L));

        assertThat(check.alarm()).isNull();
    }

    private void raiseWithMember3Differing() {
        List<StateHash> local = List.of(hash(10, "a"), hash(20, "b"));
        hashesOf.put(2L, local);
        hashesOf.put(3L, List.of(hash(20, "X")));
        check.compare(local, THREE);
        assertThat(check.alarm()).isNotNull();
    }

    private static StateHash hash(long index, String sha256Hex) {
        return new StateHash(index, sha256Hex);
    }
}
