package io.latchkey.server;

import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps this node's member record (peer and client URL) current in the replicated membership:
 * initial members are bootstrapped with identical records that lack client URLs, and a node
 * may come back at another address. When the record differs from the node's settings and a
 * leader is known, the node proposes an update of itself (a conf change that changes no vote).
 */
final class MemberPublisher implements AutoCloseable {
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private final ReplicaLoop loop;
    private final long selfId;
    private final String peerUrl;
    private final String clientUrl;
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("member-publisher").daemon().factory());

    MemberPublisher(ReplicaLoop loop, long selfId, String peerUrl, String clientUrl) {
        this.loop = loop;
        this.selfId = selfId;
        this.peerUrl = peerUrl;
        this.clientUrl = clientUrl;
    }

    void start() {
        scheduler.scheduleWithFixedDelay(this::publishIfStale, CHECK_INTERVAL.toMillis(), CHECK_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void publishIfStale() {
        try {
            Member wanted = loop.query(r -> {
                Member current = r.members().get(selfId);
                if (current == null || r.leaderId() == 0
                        || (current.getPeerUrl().equals(peerUrl) && current.getClientUrl().equals(clientUrl))) {
                    return null;
                }
                return current.toBuilder().setPeerUrl(peerUrl).setClientUrl(clientUrl).build();
            }, CHECK_INTERVAL).get();
            if (wanted != null) {
                loop.proposeConfChange(ConfChange.newBuilder()
                        .setType(ConfChangeType.ConfChangeUpdateNode)
                        .setNodeId(selfId)
                        .setContext(wanted.toByteString())
                        .build(), Duration.ofSeconds(10)).get();
            }
        } catch (Exception e) {
            // Not now (no leader, a change already pending): the next round tries again.
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
