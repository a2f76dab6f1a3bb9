package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.AcquireLock;
import io.latchkey.state.proto.Command;
import io.latchkey.state.proto.DeleteKey;
import io.latchkey.state.proto.ExpireLeases;
import io.latchkey.state.proto.Fence;
import io.latchkey.state.proto.GiveUpLock;
import io.latchkey.state.proto.GrantLease;
import io.latchkey.state.proto.KeepAlive;
import io.latchkey.state.proto.LeaderStamp;
import io.latchkey.state.proto.LockState;
import io.latchkey.state.proto.LockWaiter;
import io.latchkey.state.proto.PutKey;
import io.latchkey.state.proto.ReleaseLock;
import io.latchkey.state.proto.RenewAllLeases;
import io.latchkey.state.proto.RevokeLease;

import java.util.List;
import java.util.Random;

/**
 * A seeded stream of stamped commands over a few keys, locks and leases, aimed to hit every
 * branch: mostly plausible requests (ids and tokens read from the view), some stale or
 * invalid ones, leader changes, and stamps from deposed leaders.
 */
final class RandomCommands {
    private static final List<String> KEYS = List.of("a", "a/x", "a/y", "b", "c/../d");
    private static final List<String> LOCKS = List.of("l1", "l2", "l3/x");

    private final Random random;
    private long term = 1;
    private long clockMillis;

    RandomCommands(long seed) {
        this.random = new Random(seed);
    }

    /** The next command, stamped; {@code view} is the state it will be applied to. */
    Command next(StateView view) {
        Command.Builder command = Command.newBuilder();
        long stampTerm = term;
        int dice = random.nextInt(100);
        if (dice < 3) {
            // A new leader: starts its clock at the replicated one and renews first.
            term++;
            stampTerm = term;
            clockMillis = view.leaseClockMillis();
            command.setRenewAllLeases(RenewAllLeases.getDefaultInstance());
        } else {
            clockMillis += random.nextInt(3) == 0 ? random.nextInt(4_000) : 0;
            if (dice < 5) {
                stampTerm = Math.max(0, term - 1 - random.nextInt(2)); // a deposed leader's late entry
            }
            fillOp(command, view, dice);
        }
        long stampMillis = dice < 5 ? clockMillis + random.nextInt(50_000) : clockMillis;
        return command.setStamp(LeaderStamp.newBuilder().setLeaderTerm(stampTerm).setLeaseClockMillis(stampMillis)).build();
    }

    private void fillOp(Command.Builder command, StateView view, int dice) {
        String key = pick(KEYS);
        String lock = pick(LOCKS);
        long lease = someLease(view);
        switch (random.nextInt(12)) {
            case 0 -> command.setGrantLease(GrantLease.newBuilder().setTtlSeconds(ttlSeconds()));
            case 1 -> command.setKeepAlive(KeepAlive.newBuilder().setLeaseId(lease));
            case 2 -> command.setRevokeLease(RevokeLease.newBuilder().setLeaseId(lease));
            case 3 -> command.setExpireLeases(ExpireLeases.newBuilder().addAllLeaseIds(
                    random.nextInt(4) == 0 ? List.of(lease) : view.expiredLeases(clockMillis)));
            case 4, 5 -> {
                AcquireLock.Builder acquire = AcquireLock.newBuilder().setName(lock).setOwner("o" + random.nextInt(3))
                        .setWaitMillis(random.nextBoolean() ? 0 : 1 + random.nextInt(1_000));
                if (random.nextInt(4) == 0) {
                    acquire.setTtlSeconds(ttlSeconds());
                } else {
                    acquire.setLeaseId(lease);
                }
                command.setAcquireLock(acquire);
            }
            case 6 -> command.setReleaseLock(ReleaseLock.newBuilder().setName(lock).setToken(someToken(view, lock)));
            case 7 -> command.setGiveUpLock(GiveUpLock.newBuilder().setName(lock).setTicket(someTicket(view, lock))
                    .setRevokeLease(random.nextInt(4) == 0));
            case 8, 9, 10 -> {
                PutKey.Builder put = PutKey.newBuilder().setKey(key)
                        .setValue(ByteString.copyFromUtf8("v" + random.nextInt(100)));
                if (random.nextInt(3) == 0) {
                    put.setExpectedModRevision(expectedRevision(view, key));
                }
                if (random.nextInt(3) == 0) {
                    put.setLeaseId(lease);
                }
                if (random.nextInt(4) == 0) {
                    put.setFence(Fence.newBuilder().setLock(lock).setToken(someToken(view, lock)));
                }
                command.setPutKey(put);
            }
            default -> {
                DeleteKey.Builder delete = DeleteKey.newBuilder().setKey(key);
                if (random.nextInt(3) == 0) {
                    delete.setExpectedModRevision(expectedRevision(view, key));
                }
                if (random.nextInt(4) == 0) {
                    delete.setFence(Fence.newBuilder().setLock(lock).setToken(someToken(view, lock)));
                }
                command.setDeleteKey(delete);
            }
        }
    }

    private long ttlSeconds() {
        return random.nextInt(20) == 0 ? 0 : 1 + random.nextInt(30);
    }

    private long someLease(StateView view) {
        List<Long> leases = view.expiredLeases(Long.MAX_VALUE);
        if (leases.isEmpty() || random.nextInt(10) == 0) {
            return random.nextInt(3);
        }
        return leases.get(random.nextInt(leases.size()));
    }

    private long someToken(StateView view, String lock) {
        return view.lock(lock).filter(l -> random.nextInt(4) != 0)
                .map(l -> l.getHolder().getToken())
                .orElseGet(() -> (long) random.nextInt((int) Math.max(1, view.revision() + 1)));
    }

    private long someTicket(StateView view, String lock) {
        LockState state = view.lock(lock).orElse(null);
        if (state == null || random.nextInt(5) == 0) {
            return 1 + random.nextInt((int) Math.max(1, view.revision()));
        }
        if (state.getWaitersCount() == 0 || random.nextInt(3) == 0) {
            return state.getHolder().getTicket();
        }
        List<LockWaiter> waiters = state.getWaitersList();
        return waiters.get(random.nextInt(waiters.size())).getTicket();
    }

    private long expectedRevision(StateView view, String key) {
        return switch (random.nextInt(3)) {
            case 0 -> 0;
            case 1 -> view.key(key).map(kv -> kv.getModRevision()).orElse(0L);
            default -> random.nextInt((int) Math.max(1, view.revision() + 1));
        };
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }
}
