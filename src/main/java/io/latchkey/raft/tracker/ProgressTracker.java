package io.latchkey.raft.tracker;

import io.latchkey.raft.quorum.JointConfig;
import io.latchkey.raft.quorum.MajorityConfig;
import io.latchkey.raft.quorum.VoteResult;
import io.latchkey.raft.raftpb.ConfState;

import java.util.HashMap;
import java.util.Map;

/**
 * The active configuration plus what the leader knows about each peer in it (etcd's
 * {@code tracker.ProgressTracker}); from the peers' match indexes it derives the commit
 * index, and it counts votes during elections. Confined to the thread driving the node.
 */
public final class ProgressTracker {
    private TrackerConfig config;
    private ProgressMap progress;
    private Map<Long, Boolean> votes;
    private final int maxInflight;
    private final long maxInflightBytes;

    /**
     * An empty tracker whose new peers get in-flight windows of {@code maxInflight} messages
     * and {@code maxInflightBytes} bytes (0 = no byte limit). etcd's MakeProgressTracker.
     */
    public ProgressTracker(int maxInflight, long maxInflightBytes) {
        this.maxInflight = maxInflight;
        this.maxInflightBytes = maxInflightBytes;
        this.config = new TrackerConfig();
        this.progress = new ProgressMap();
        this.votes = new HashMap<>();
    }

    public TrackerConfig config() {
        return config;
    }

    public void setConfig(TrackerConfig config) {
        this.config = config;
    }

    public ProgressMap progress() {
        return progress;
    }

    public void setProgress(ProgressMap progress) {
        this.progress = progress;
    }

    /** Votes received in the current election, by voter id (true = granted). */
    public Map<Long, Boolean> votes() {
        return votes;
    }

    public int maxInflight() {
        return maxInflight;
    }

    public long maxInflightBytes() {
        return maxInflightBytes;
    }

    /** Shorthand for {@code config().voters()} (etcd embeds the config in the tracker). */
    public JointConfig voters() {
        return config.voters();
    }

    /** Shorthand for {@code config().learners()}. */
    public MajorityConfig learners() {
        return config.learners();
    }

    /** Shorthand for {@code config().learnersNext()}. */
    public MajorityConfig learnersNext() {
        return config.learnersNext();
    }

    /** Shorthand for {@code config().autoLeave()}. */
    public boolean autoLeave() {
        return config.autoLeave();
    }

    /** The active configuration as a protobuf, every id list sorted. */
    public ConfState confState() {
        ConfState.Builder cs = ConfState.newBuilder();
        config.voters().incoming().forEach(cs::addVoters);
        config.voters().outgoing().forEach(cs::addVotersOutgoing);
        config.learners().forEach(cs::addLearners);
        config.learnersNext().forEach(cs::addLearnersNext);
        return cs.setAutoLeave(config.autoLeave()).build();
    }

    /** Whether the only voter is a single member of a non-joint config (the leader itself). */
    public boolean isSingleton() {
        return config.voters().incoming().size() == 1 && config.voters().outgoing().isEmpty();
    }

    /** The highest index the voters have acknowledged by quorum. */
    public long committed() {
        return config.voters().committedIndex(progress);
    }

    /** Receives each tracked peer in {@link ProgressTracker#visit}. */
    @FunctionalInterface
    public interface Visitor {
        void visit(long id, Progress pr);
    }

    /** Calls {@code f} for every tracked peer in ascending id order. */
    public void visit(Visitor f) {
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            f.visit(e.getKey(), e.getValue());
        }
    }

    /** Whether a quorum of voters was recently active, as seen from this (leader) node. */
    public boolean quorumActive() {
        Map<Long, Boolean> active = new HashMap<>();
        visit((id, pr) -> {
            if (!pr.isLearner()) {
                active.put(id, pr.recentActive());
            }
        });
        return config.voters().voteResult(active) == VoteResult.VoteWon;
    }

    /** The voters of both halves, ascending. */
    public long[] voterNodes() {
        return config.voters().ids().slice();
    }

    /** The learners, ascending. */
    public long[] learnerNodes() {
        return config.learners().slice();
    }

    /** Starts a new election's count. */
    public void resetVotes() {
        votes = new HashMap<>();
    }

    /** Records the first vote of {@code id} in this election; later ones are ignored. */
    public void recordVote(long id, boolean granted) {
        votes.putIfAbsent(id, granted);
    }

    /** Counts the votes of current voters and decides the election. */
    public VoteTally tallyVotes() {
        // Votes from peers that left the config are skipped in the counts so the numbers stay
        // meaningful; the quorum decision ignores them anyway.
        int granted = 0;
        int rejected = 0;
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            if (e.getValue().isLearner()) {
                continue;
            }
            Boolean v = votes.get(e.getKey());
            if (v == null) {
                continue;
            }
            if (v) {
                granted++;
            } else {
                rejected++;
            }
        }
        return new VoteTally(granted, rejected, config.voters().voteResult(votes));
    }
}
