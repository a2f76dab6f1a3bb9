package io.latchkey.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.node.proto.Command;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A leader's handling of proposals that arrive without the leader's stamp: from followers
 * (raft forwards their proposals to the leader as MsgProp, as etcd's followers do) or made
 * here before this leader took over the lease clock. Each is stamped by the
 * {@link ProposalStamper} before raft appends it. One that cannot be stamped yet (a new leader
 * takes over the clock a few ticks after its election) waits here for at most an election
 * timeout and is then dropped: its proposer learns the outcome is unknown from the leader
 * change or its request's timeout, as with any proposal raft drops. Loop thread only.
 */
final class StampQueue {
    private record Held(Command command, long sinceTick) {
    }

    private final List<Held> held = new ArrayList<>();
    /** Null until the service installs one: until then nothing unstamped reaches the log. */
    private ProposalStamper stamper;

    void setStamper(ProposalStamper stamper) {
        this.stamper = stamper;
    }

    /**
     * What to hand to raft of {@code proposals} (encoded {@link Command}s) on a leader in
     * {@code term}: the ones that need no stamp as they are, the others stamped; those the
     * stamper cannot stamp yet are held.
     */
    List<ByteString> admit(List<ByteString> proposals, long term, long tick) {
        List<ByteString> admitted = new ArrayList<>(proposals.size());
        for (ByteString data : proposals) {
            Command command = decode(data);
            if (!command.getAwaitingStamp()) {
                admitted.add(data);
                continue;
            }
            ByteString stamped = stamp(command, term);
            if (stamped != null) {
                admitted.add(stamped);
            } else {
                held.add(new Held(command, tick));
            }
        }
        return admitted;
    }

    /**
     * Held proposals this leader can stamp now, in arrival order; those held longer than
     * {@code holdTicksMax} are handed to {@code dropped} instead.
     */
    List<ByteString> release(long term, long tick, long holdTicksMax, Consumer<Command> dropped) {
        if (held.isEmpty()) {
            return List.of();
        }
        List<ByteString> released = new ArrayList<>();
        List<Held> still = new ArrayList<>();
        for (Held h : held) {
            ByteString stamped = stamp(h.command(), term);
            if (stamped != null) {
                released.add(stamped);
            } else if (tick - h.sinceTick() >= holdTicksMax) {
                dropped.accept(h.command());
            } else {
                still.add(h);
            }
        }
        held.clear();
        held.addAll(still);
        return released;
    }

    /** Hands every held proposal to {@code dropped}: this replica no longer leads. */
    void dropAll(Consumer<Command> dropped) {
        held.forEach(h -> dropped.accept(h.command()));
        held.clear();
    }

    boolean isEmpty() {
        return held.isEmpty();
    }

    private ByteString stamp(Command command, long term) {
        ProposalStamper.Stamped stamped = stamper == null ? null : stamper.stamp(command.getPayload(), term);
        if (stamped == null) {
            return null;
        }
        return command.toBuilder().clearAwaitingStamp().setPayload(stamped.payload())
                .setProposedAtMillis(stamped.proposedAtMillis()).build().toByteString();
    }

    static Command decode(ByteString data) {
        try {
            return Command.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a proposed command does not decode", e);
        }
    }
}
