package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("state")
class KeyCommandsTest {
    private final Driver d = new Driver();

    @Test
    void put_createsThenUpdates_withRevisionsAndVersion() {
        Result created = d.put("cfg/a", "1");
        d.put("cfg/b", "x");
        Result updated = d.put("cfg/a", "2");

        assertThat(created.getWritten().getRevision()).isEqualTo(1);
        assertThat(created.getWritten().getVersion()).isEqualTo(1);
        assertThat(updated.getWritten().getRevision()).isEqualTo(3);
        assertThat(updated.getWritten().getVersion()).isEqualTo(2);
        KeyValue kv = d.view().key("cfg/a").orElseThrow();
        assertThat(kv.getValue().toStringUtf8()).isEqualTo("2");
        assertThat(kv.getCreateRevision()).isEqualTo(1);
        assertThat(kv.getModRevision()).isEqualTo(3);
        assertThat(kv.getVersion()).isEqualTo(2);
        assertThat(d.view().revision()).isEqualTo(3);
    }

    @Test
    void cas_withZero_meansTheKeyMustNotExist() {
        assertThat(d.putIfModRevision("k", "first", 0).getStatus()).isEqualTo(Status.OK);

        Result again = d.putIfModRevision("k", "second", 0);

        assertThat(again.getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        assertThat(again.getField()).isEqualTo("expected_mod_revision");
        assertThat(again.getMessage()).contains("has mod revision 1");
        assertThat(d.view().key("k").orElseThrow().getValue().toStringUtf8()).isEqualTo("first");
    }

    @Test
    void cas_onModRevision_succeedsOnlyForTheCurrentOne() {
        long rev = d.put("k", "a").getWritten().getRevision();
        d.put("other", "z");

        assertThat(d.putIfModRevision("k", "b", rev + 1).getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        Result ok = d.putIfModRevision("k", "b", rev);
        assertThat(ok.getStatus()).isEqualTo(Status.OK);
        assertThat(d.putIfModRevision("k", "c", rev).getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        assertThat(d.putIfModRevision("missing", "c", 5).getMessage()).contains("does not exist");
    }

    @Test
    void delete_removesTheKey_andHonoursCas() {
        long rev = d.put("k", "a").getWritten().getRevision();

        Result wrong = d.delete(DeleteKey.newBuilder().setKey("k").setExpectedModRevision(rev + 5));
        assertThat(wrong.getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        Result deleted = d.delete(DeleteKey.newBuilder().setKey("k").setExpectedModRevision(rev));
        assertThat(deleted.getStatus()).isEqualTo(Status.OK);
        assertThat(deleted.getWritten().getRevision()).isEqualTo(2);
        assertThat(deleted.getWritten().getVersion()).isZero();
        assertThat(d.view().key("k")).isEmpty();

        assertThat(d.delete("k").getStatus()).isEqualTo(Status.NOT_FOUND);
        Result recreated = d.put("k", "again");
        assertThat(d.view().key("k").orElseThrow().getCreateRevision()).isEqualTo(recreated.getRevision());
        assertThat(d.view().key("k").orElseThrow().getVersion()).isEqualTo(1);
    }

    @Test
    void fencedWrite_passesForTheHolder_andIsRefusedWithAStaleToken() {
        long a = d.lease(10);
        long b = d.lease(10);
        long staleToken = d.acquire("leader", a, 0).getHeld().getToken();
        assertThat(d.putFenced("state", "from a", "leader", staleToken).getStatus()).isEqualTo(Status.OK);
        d.revoke(a);
        long token = d.acquire("leader", b, 0).getHeld().getToken();

        Result stale = d.putFenced("state", "late write from a", "leader", staleToken);

        assertThat(stale.getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        assertThat(stale.getField()).isEqualTo("fence.token");
        assertThat(stale.getMessage()).contains("held by another grant").as("no token in an error").doesNotContainPattern("\\d");
        assertThat(d.view().key("state").orElseThrow().getValue().toStringUtf8()).isEqualTo("from a");
        assertThat(d.putFenced("state", "from b", "leader", token).getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void fencedWrite_onAFreeLock_andFencedDelete_areRefused() {
        d.put("k", "v");
        Result put = d.putFenced("k", "w", "nobody", 3);
        assertThat(put.getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        assertThat(put.getMessage()).contains("is free");
        Result delete = d.delete(DeleteKey.newBuilder().setKey("k").setFence(Fence.newBuilder().setLock("nobody").setToken(3)));
        assertThat(delete.getStatus()).isEqualTo(Status.PRECONDITION_FAILED);
        assertThat(delete.getField()).isEqualTo("fence.token");
        assertThat(d.view().key("k")).isPresent();
    }

    @Test
    void theFenceIsCheckedBeforeTheCas() {
        long rev = d.put("k", "v").getWritten().getRevision();
        Result both = d.put(PutKey.newBuilder().setKey("k").setExpectedModRevision(rev + 1)
                .setFence(Fence.newBuilder().setLock("l").setToken(9)));
        assertThat(both.getField()).isEqualTo("fence.token");
    }

    @Test
    void putWithLease_attaches_andPutWithoutLease_detaches() {
        long lease = d.lease(10);
        assertThat(d.put(PutKey.newBuilder().setKey("k").setLeaseId(lease)).getStatus()).isEqualTo(Status.OK);
        assertThat(d.view().key("k").orElseThrow().getLeaseId()).isEqualTo(lease);

        d.put("k", "now permanent");
        d.revoke(lease);

        assertThat(d.view().key("k")).isPresent();
        Result unknown = d.put(PutKey.newBuilder().setKey("k").setLeaseId(99));
        assertThat(unknown.getStatus()).isEqualTo(Status.NOT_FOUND);
        assertThat(unknown.getField()).isEqualTo("lease_id");
    }

    @Test
    void keysOutsideTheLimits_areRefused_withTheFieldNamed() {
        assertThat(d.put("", "v").getField()).isEqualTo("key");
        assertThat(d.put("a/../b", "v").getField()).isEqualTo("key");
        assertThat(d.put("..", "v").getField()).isEqualTo("key");
        assertThat(d.put("tab\there", "v").getField()).isEqualTo("key");
        assertThat(d.put("k".repeat(Limits.KEY_SIZE_BYTES_MAX + 1), "v").getField()).isEqualTo("key");
        assertThat(d.put("é".repeat(Limits.KEY_SIZE_BYTES_MAX / 2 + 1), "v").getStatus())
                .as("the limit counts UTF-8 bytes").isEqualTo(Status.INVALID_ARGUMENT);
        Result big = d.put(PutKey.newBuilder().setKey("k").setValue(ByteString.copyFrom(new byte[Limits.VALUE_SIZE_BYTES_MAX + 1])));
        assertThat(big.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
        assertThat(big.getField()).isEqualTo("value");
        assertThat(d.put(PutKey.newBuilder().setKey("k").setExpectedModRevision(-1)).getField()).isEqualTo("expected_mod_revision");
        assertThat(d.view().revision()).isZero();

        assertThat(d.put("k".repeat(Limits.KEY_SIZE_BYTES_MAX), "v").getStatus()).isEqualTo(Status.OK);
        assertThat(d.put("a/..b/c.", "v").getStatus()).isEqualTo(Status.OK);
        assertThat(d.put(PutKey.newBuilder().setKey("max").setValue(ByteString.copyFrom(new byte[Limits.VALUE_SIZE_BYTES_MAX])))
                .getStatus()).isEqualTo(Status.OK);
    }

    @Test
    void list_byPrefix_pagesInKeyOrder() {
        for (String key : new String[]{"app/b", "app/a", "app/c", "apq", "ap"}) {
            d.put(key, key);
        }
        KeyPage first = d.view().keys("app/", "", 2);
        assertThat(first.keys()).extracting(KeyValue::getKey).containsExactly("app/a", "app/b");
        assertThat(first.more()).isTrue();
        assertThat(first.revision()).isEqualTo(5);
        KeyPage second = d.view().keys("app/", "app/b", 2);
        assertThat(second.keys()).extracting(KeyValue::getKey).containsExactly("app/c");
        assertThat(second.more()).isFalse();
        assertThat(d.view().keys("", "", 100).keys()).hasSize(5);
    }

    @Test
    void undecodableOrEmptyCommands_areRefused_andChangeNothing() {
        Result garbage = d.applyBytes(ByteString.copyFrom(new byte[]{(byte) 0xff, 0x01, 0x02}));
        assertThat(garbage.getStatus()).isEqualTo(Status.INVALID_ARGUMENT);
        assertThat(garbage.getField()).isEqualTo("command");
        Result empty = d.apply(Command.newBuilder());
        assertThat(empty.getField()).isEqualTo("op");
        assertThat(d.view().revision()).isZero();
    }
}
