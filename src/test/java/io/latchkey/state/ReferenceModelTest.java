package io.latchkey.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.KeyValue;
import io.latchkey.state.proto.Lease;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.LockWaiter;
import io.latchkey.state.proto.Result;
import io.latchkey.state.proto.StateSnapshot;
import io.latchkey.state.proto.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The state machine against {@link ReferenceModel} on seeded random command sequences. */
@Tag("state")
class ReferenceModelTest {
    private static final int STEPS = 3_000;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20240601})
    void randomCommands_giveTheModelsStatusesAndState(long seed) throws InvalidProtocolBufferException {
        Driver machine = new Driver();
        ReferenceModel model = new ReferenceModel();
        RandomCommands commands = new RandomCommands(seed);
        Map<Status, Integer> seen = new EnumMap<>(Status.class);

        for (int step = 0; step < STEPS; step++) {
            Command command = commands.next(machine.view());
            Result result = machine.applyBytes(command.toByteString());
            Status expected = model.apply(command);

            assertThat(result.getStatus()).as("seed %d step %d: %s", seed, step, command).isEqualTo(expected);
            assertThat(result.getRevision()).as("seed %d step %d revision", seed, step).isEqualTo(model.revision);
            assertThat(render(StateSnapshot.parseFrom(machine.snapshot())))
                    .as("seed %d step %d state after %s", seed, step, command).isEqualTo(render(model));
            seen.merge(result.getStatus(), 1, Integer::sum);
        }
        assertThat(seen.keySet()).as("the random commands reach every outcome").contains(Status.OK, Status.QUEUED,
                Status.NOT_FOUND, Status.PRECONDITION_FAILED, Status.NOT_HOLDER, Status.BUSY, Status.INVALID_ARGUMENT,
                Status.STALE_LEADER);
    }

    private static String render(StateSnapshot s) {
        return "revision " + s.getRevision() + " leases " + s.getLastLeaseId() + " clock " + s.getLeaseClockMillis()
                + " term " + s.getLeaseTerm()
                + "\nkeys " + s.getKeysList().stream().map(ReferenceModelTest::render).collect(Collectors.joining(", "))
                + "\nleases " + s.getLeasesList().stream().map(ReferenceModelTest::render).collect(Collectors.joining(", "))
                + "\nlocks " + s.getLocksList().stream().map(ReferenceModelTest::render).collect(Collectors.joining(", "));
    }

    private static String render(ReferenceModel m) {
        return "revision " + m.revision + " leases " + m.lastLeaseId + " clock " + m.clockMillis + " term " + m.leaseTerm
                + "\nkeys " + m.keys.stream().sorted(Comparator.comparing(ReferenceModel.Key::key))
                .map(k -> render(KeyValue.newBuilder().setKey(k.key()).setValue(k.value())
                        .setCreateRevision(k.createRevision()).setModRevision(k.modRevision())
                        .setVersion(k.version()).setLeaseId(k.leaseId()).build()))
                .collect(Collectors.joining(", "))
                + "\nleases " + m.leases.stream().sorted(Comparator.comparingLong(l -> l.id))
                .map(l -> render(Lease.newBuilder().setId(l.id).setTtlSeconds(l.ttlSeconds).setForLock(l.forLock)
                        .setExpiresAtMillis(l.expiresAtMillis).build()))
                .collect(Collectors.joining(", "))
                + "\nlocks " + m.locks.stream().sorted(Comparator.comparing(l -> l.name))
                .map(l -> l.name + "{lease " + l.leaseId + " owner " + l.owner + " token " + l.token + " ticket "
                        + l.ticket + " waiters " + l.waiters.stream()
                        .map(w -> w.ticket() + ":" + w.leaseId() + ":" + w.owner()).toList() + "}")
                .collect(Collectors.joining(", "));
    }

    private static String render(KeyValue kv) {
        return kv.getKey() + "=" + kv.getValue().toStringUtf8() + "@" + kv.getCreateRevision() + "/" + kv.getModRevision()
                + "/v" + kv.getVersion() + "/lease" + kv.getLeaseId();
    }

    private static String render(Lease lease) {
        return lease.getId() + ":" + lease.getTtlSeconds() + "s@" + lease.getExpiresAtMillis() + (lease.getForLock() ? " for lock" : "");
    }

    private static String render(LockState lock) {
        return lock.getName() + "{lease " + lock.getHolder().getLeaseId() + " owner " + lock.getHolder().getOwner()
                + " token " + lock.getHolder().getToken() + " ticket " + lock.getHolder().getTicket() + " waiters "
                + lock.getWaitersList().stream().map(ReferenceModelTest::render).toList() + "}";
    }

    private static String render(LockWaiter w) {
        return w.getTicket() + ":" + w.getLeaseId() + ":" + w.getOwner();
    }
}
