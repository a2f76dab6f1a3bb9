package io.latchkey.state;

import io.latchkey.state.proto.Event;
import io.latchkey.state.proto.PutKey;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("state")
class WatchHistoryTest {
    private static final long ONE_MIB = 1024 * 1024;

    @Test
    void eventsSince_returnsPutsAndDeletesFromARevision_filteredByPrefix() {
        Driver d = new Driver();
        d.put("app/a", "1");
        d.put("other", "x");
        d.put("app/a", "2");
        d.delete("app/a");

        WatchBatch batch = d.view().eventsSince(2, "app/", 10);

        assertThat(batch.compacted()).isFalse();
        assertThat(batch.events()).extracting(Event::getType, Event::getModRevision, e -> e.getValue().toStringUtf8())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Event.Type.PUT, 3L, "2"),
                        org.assertj.core.groups.Tuple.tuple(Event.Type.DELETE, 4L, ""));
        assertThat(batch.nextRevision()).isEqualTo(5);
        assertThat(d.events).hasSize(4);
    }

    @Test
    void eventsSince_stopsAtTheLimit_andSaysWhereToContinue() {
        Driver d = new Driver();
        for (int i = 0; i < 5; i++) {
            d.put("k" + i, "v");
        }
        WatchBatch first = d.view().eventsSince(1, "", 2);
        assertThat(first.events()).extracting(Event::getModRevision).containsExactly(1L, 2L);
        assertThat(first.nextRevision()).isEqualTo(3);
        WatchBatch caughtUp = d.view().eventsSince(6, "", 2);
        assertThat(caughtUp.events()).isEmpty();
        assertThat(caughtUp.nextRevision()).isEqualTo(6);
    }

    @Test
    void history_keepsTheLastEventsByCount_andOlderResumesAreCompacted() {
        Driver d = new Driver(new StateConfig(3, 64 * ONE_MIB, StateConfig.QUOTA_BYTES_DEFAULT));
        for (int i = 1; i <= 5; i++) {
            d.put("k", "v" + i);
        }
        assertThat(d.view().historyCompactedRevision()).isEqualTo(2);

        WatchBatch old = d.view().eventsSince(2, "", 10);
        assertThat(old.compacted()).isTrue();
        assertThat(old.compactedRevision()).isEqualTo(2);
        assertThat(old.events()).isEmpty();
        assertThat(d.view().eventsSince(3, "", 10).events()).extracting(Event::getModRevision).containsExactly(3L, 4L, 5L);
    }

    @Test
    void history_isAlsoBoundedInBytes() {
        Driver d = new Driver(new StateConfig(1000, 2 * ONE_MIB, StateConfig.QUOTA_BYTES_DEFAULT));
        PutKey.Builder halfMib = PutKey.newBuilder().setKey("big")
                .setValue(com.google.protobuf.ByteString.copyFrom(new byte[(int) (ONE_MIB / 2)]));
        for (int i = 0; i < 5; i++) {
            d.put(halfMib);
        }
        assertThat(d.view().historyCompactedRevision()).isEqualTo(2);
        assertThat(d.view().eventsSince(3, "", 10).events()).hasSize(3);
    }

    @Test
    void leaseAndLockChanges_takeRevisions_butOnlyKeyChangesAreEvents() {
        Driver d = new Driver();
        long lease = d.lease(10);
        d.acquire("l", lease, 0);
        d.put(PutKey.newBuilder().setKey("k").setLeaseId(lease));
        d.revoke(lease);

        assertThat(d.view().eventsSince(1, "", 10).events()).extracting(Event::getType, Event::getModRevision)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Event.Type.PUT, 3L),
                        org.assertj.core.groups.Tuple.tuple(Event.Type.DELETE, 5L));
    }

    @Test
    void aHistoryTooSmallForOneLargestEvent_isRejectedAtStart() {
        assertThatThrownBy(() -> new StateConfig(10, ONE_MIB, StateConfig.QUOTA_BYTES_DEFAULT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("historySizeBytesMax");
        assertThatThrownBy(() -> new StateConfig(0, 64 * ONE_MIB, StateConfig.QUOTA_BYTES_DEFAULT)).hasMessageContaining("historyEventsCountMax");
    }
}
