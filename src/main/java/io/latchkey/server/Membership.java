package io.latchkey.server;

import com.google.protobuf.ByteString;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.proto.Member;
import io.latchkey.raft.StateType;
import io.latchkey.raft.Status;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeType;
import io.latchkey.raft.tracker.Progress;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Membership changes as an operator (or the Helm chart) asks for them: add a node as a
 * learner, promote it to voter once it has caught up, remove a node, move leadership. Every
 * change goes through the log one at a time; ids are random 64-bit numbers chosen here, so an
 * id is never reused.
 */
public final class Membership {
    /** How far (in entries) a learner may trail the leader's commit index and still be promoted. */
    static final long PROMOTION_LAG_ENTRIES_MAX = 100;
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(15);

    private final ReplicaLoop loop;
    /** Shared: an id is drawn only when adding. */
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Held while an add checks the members and proposes (see {@link #addLearner}). */
    private static final Object ADDING = new Object();

    public Membership(ReplicaLoop loop) {
        this.loop = loop;
    }

    /** One member as the cluster sees it. */
    public record MemberView(long id, String name, String peerUrl, String clientUrl, boolean voter) {
    }

    /** The cluster as this node sees it. */
    public record ClusterView(long nodeId, long leaderId, long term, long commitIndex, long appliedIndex,
                              List<MemberView> members) {
    }

    public ClusterView view() {
        return ReplicaLoop.join(loop.query(replica -> {
            Status status = replica.status();
            var voters = status.config().voters().ids();
            List<MemberView> members = new ArrayList<>();
            for (Map.Entry<Long, Member> e : new java.util.TreeMap<>(replica.members()).entrySet()) {
                Member m = e.getValue();
                members.add(new MemberView(e.getKey(), m.getName(), m.getPeerUrl(), m.getClientUrl(), voters.contains(e.getKey())));
            }
            return new ClusterView(replica.id(), replica.leaderId(), status.basic().hardState().getTerm(),
                    status.basic().hardState().getCommit(), replica.appliedIndex(), members);
        }, Duration.ofSeconds(5)));
    }

    /** A learner added, or found already added by an earlier attempt ({@code created} false). */
    public record Added(long id, boolean created) {
    }

    /**
     * Adds a learner; it may start once this returns. Leader only. A peer URL names one member:
     * a retried add (the same learner, peer and client URL) gets the member the first attempt
     * added; any other add of a member's peer URL is refused, since two members with one address
     * would share its messages and its vote.
     *
     * @throws MembershipException 409 if {@code peerUrl} belongs to a voter or to a learner with another client URL
     */
    public Added addLearner(String name, String peerUrl, String clientUrl) {
        requireLeader();
        // One add at a time on this leader, so that a retry sees the member its first attempt added.
        synchronized (ADDING) {
            for (MemberView m : view().members()) {
                if (!m.peerUrl().equals(peerUrl)) {
                    continue;
                }
                if (!m.voter() && m.clientUrl().equals(clientUrl)) {
                    return new Added(m.id(), false);
                }
                throw new MembershipException(409, peerUrl + " is already the peer URL of " + (m.voter() ? "voter " : "learner ")
                        + Long.toHexString(m.id()) + "; remove it first to add the node again");
            }
            long id;
            do {
                id = RANDOM.nextLong() & Long.MAX_VALUE;
            } while (id == 0);
            Member member = Member.newBuilder().setId(id).setName(name).setPeerUrl(peerUrl).setClientUrl(clientUrl).build();
            change(ConfChangeType.ConfChangeAddLearnerNode, id, member.toByteString());
            return new Added(id, true);
        }
    }

    /**
     * Makes a learner a voter once it holds nearly everything the leader committed: a voter
     * that is far behind would count toward quorums it cannot serve. Leader only.
     *
     * @throws MembershipException with status 409 if it is not caught up, 404 if unknown
     */
    public void promote(long id) {
        Status status = requireLeader();
        Progress progress = status.progress().get(id);
        if (progress == null) {
            throw new MembershipException(404, "no member " + Long.toHexString(id));
        }
        long commit = status.basic().hardState().getCommit();
        // A learner that acknowledged nothing may not even run; in a young cluster it would
        // pass the lag check and, as a voter, could cost the quorum.
        if (progress.match() == 0 || progress.match() + PROMOTION_LAG_ENTRIES_MAX < commit) {
            throw new MembershipException(409, "member " + Long.toHexString(id) + " has " + progress.match()
                    + " of " + commit + " committed entries; promote it once it has caught up");
        }
        Member member = member(id);
        change(ConfChangeType.ConfChangeAddNode, id, member.toByteString());
    }

    /**
     * Removes a member. A voter is removed only if the voters that remain still form a working
     * quorum (a majority of them recently heard from), so a removal never costs availability.
     * Leader only.
     */
    public void remove(long id) {
        Status status = requireLeader();
        member(id);
        var voters = status.config().voters().ids();
        if (voters.contains(id)) {
            long[] remaining = java.util.Arrays.stream(voters.slice()).filter(v -> v != id).toArray();
            if (remaining.length == 0) {
                throw new MembershipException(409, "cannot remove the last voter");
            }
            long active = java.util.Arrays.stream(remaining).filter(v -> {
                Progress p = status.progress().get(v);
                return v == status.basic().id() || (p != null && p.recentActive());
            }).count();
            if (active < remaining.length / 2 + 1) {
                throw new MembershipException(409, "removing " + Long.toHexString(id) + " would leave " + active + " of "
                        + remaining.length + " remaining voters active, less than a quorum");
            }
        }
        change(ConfChangeType.ConfChangeRemoveNode, id, ByteString.EMPTY);
    }

    /** Asks the leader to hand leadership to {@code id}. */
    public void transferLeadership(long id) {
        requireLeader();
        member(id);
        loop.transferLeadership(id);
    }

    private Member member(long id) {
        Member m = view().members().stream().filter(v -> v.id() == id).findFirst()
                .map(v -> Member.newBuilder().setId(v.id()).setName(v.name()).setPeerUrl(v.peerUrl()).setClientUrl(v.clientUrl()).build())
                .orElse(null);
        if (m == null) {
            throw new MembershipException(404, "no member " + Long.toHexString(id));
        }
        return m;
    }

    private Status requireLeader() {
        Status status = ReplicaLoop.join(loop.status(Duration.ofSeconds(5)));
        if (status.basic().softState().raftState() != StateType.StateLeader) {
            long leader = status.basic().softState().lead();
            String leaderUrl = leader == 0 ? null : view().members().stream()
                    .filter(m -> m.id() == leader).map(MemberView::clientUrl).filter(url -> !url.isEmpty()).findFirst().orElse(null);
            throw new NotLeaderException(leader, leaderUrl);
        }
        return status;
    }

    private void change(ConfChangeType type, long nodeId, ByteString context) {
        ConfChange change = ConfChange.newBuilder()
                .setType(type)
                .setNodeId(nodeId)
                .setContext(context)
                .build();
        ReplicaLoop.join(loop.proposeConfChange(change, CHANGE_TIMEOUT));
    }


    /** The request needs the leader; {@code leaderClientUrl} is where to send it, if known. */
    public static final class NotLeaderException extends RuntimeException {
        private final long leaderId;
        private final String leaderClientUrl;

        NotLeaderException(long leaderId, String leaderClientUrl) {
            super(leaderId == 0 ? "no leader is known; retry later"
                    : "this node is not the leader; send the request to " + Long.toHexString(leaderId));
            this.leaderId = leaderId;
            this.leaderClientUrl = leaderClientUrl;
        }

        public long leaderId() {
            return leaderId;
        }

        public String leaderClientUrl() {
            return leaderClientUrl;
        }
    }

    /** A membership request that cannot be carried out, with the HTTP status that says why. */
    public static final class MembershipException extends RuntimeException {
        private final int status;

        MembershipException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
