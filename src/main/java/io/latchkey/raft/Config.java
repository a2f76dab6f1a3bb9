package io.latchkey.raft;

import java.util.random.RandomGenerator;
import java.util.SplittableRandom;

/**
 * The parameters of one Raft instance, with etcd-io/raft's knobs and defaults. Set fields
 * with the fluent setters, then hand the config to {@link RawNode} or {@link Node}, which
 * call {@link #validate()}.
 */
public final class Config {
    /** Go's math.MaxUint64 "no limit": no size or count in this library comes near it. */
    static final long NO_LIMIT = Long.MAX_VALUE;

    private long id;
    private int electionTick;
    private int heartbeatTick;
    private Storage storage;
    private long applied;
    private boolean asyncStorageWrites;
    private long maxSizePerMsg;
    private long maxCommittedSizePerReady;
    private long maxUncommittedEntriesSize;
    private int maxInflightMsgs;
    private long maxInflightBytes;
    private boolean checkQuorum;
    private boolean preVote;
    private ReadOnlyOption readOnlyOption = ReadOnlyOption.ReadOnlySafe;
    private int leaseMarginTicks;
    private Logger logger;
    private boolean disableProposalForwarding;
    private boolean disableConfChangeValidation;
    private boolean stepDownOnRemoval;
    private RandomGenerator random;
    private TraceLogger traceLogger;

    /**
     * Checks the settings and fills in defaults for the ones left at zero.
     *
     * @throws IllegalArgumentException naming the first field that is wrong
     */
    public void validate() {
        if (id == Raft.NONE) {
            throw new IllegalArgumentException("cannot use none as id");
        }
        if (Describe.isLocalMsgTarget(id)) {
            throw new IllegalArgumentException("cannot use local target as id");
        }
        if (heartbeatTick <= 0) {
            throw new IllegalArgumentException("heartbeat tick must be greater than 0");
        }
        if (electionTick <= heartbeatTick) {
            throw new IllegalArgumentException("election tick must be greater than heartbeat tick");
        }
        if (storage == null) {
            throw new IllegalArgumentException("storage cannot be nil");
        }
        if (maxSizePerMsg < 0 || maxCommittedSizePerReady < 0 || maxUncommittedEntriesSize < 0 || maxInflightBytes < 0) {
            throw new IllegalArgumentException("sizes must not be negative");
        }
        if (maxUncommittedEntriesSize == 0) {
            maxUncommittedEntriesSize = NO_LIMIT;
        }
        // The commit size limit was once folded into the message size limit; keep that default.
        if (maxCommittedSizePerReady == 0) {
            maxCommittedSizePerReady = maxSizePerMsg;
        }
        if (maxInflightMsgs <= 0) {
            throw new IllegalArgumentException("max inflight messages must be greater than 0");
        }
        if (maxInflightBytes == 0) {
            maxInflightBytes = NO_LIMIT;
        } else if (maxInflightBytes < maxSizePerMsg) {
            throw new IllegalArgumentException("max inflight bytes must be >= max message size");
        }
        if (logger == null) {
            logger = DefaultLogger.stderr();
        }
        if (readOnlyOption == ReadOnlyOption.ReadOnlyLeaseBased && !checkQuorum) {
            throw new IllegalArgumentException("CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
        }
        if (leaseMarginTicks == 0) {
            leaseMarginTicks = defaultLeaseMarginTicks(electionTick);
        } else if (leaseMarginTicks < 1 || leaseMarginTicks >= electionTick) {
            throw new IllegalArgumentException("lease margin ticks must be between 1 and election tick - 1");
        }
        if (random == null) {
            random = new SplittableRandom();
        }
    }

    /**
     * One tick for the phase of the ticks plus a tenth of the election timeout: with 10
     * election ticks a lease survives tick rates differing by up to 12.5%, with more ticks
     * by at least 11% (see {@link #leaseMarginTicks()}).
     */
    static int defaultLeaseMarginTicks(int electionTick) {
        return 1 + electionTick / 10;
    }

    /** A copy that can be changed without affecting this one. */
    public Config copy() {
        Config c = new Config();
        c.id = id;
        c.electionTick = electionTick;
        c.heartbeatTick = heartbeatTick;
        c.storage = storage;
        c.applied = applied;
        c.asyncStorageWrites = asyncStorageWrites;
        c.maxSizePerMsg = maxSizePerMsg;
        c.maxCommittedSizePerReady = maxCommittedSizePerReady;
        c.maxUncommittedEntriesSize = maxUncommittedEntriesSize;
        c.maxInflightMsgs = maxInflightMsgs;
        c.maxInflightBytes = maxInflightBytes;
        c.checkQuorum = checkQuorum;
        c.preVote = preVote;
        c.readOnlyOption = readOnlyOption;
        c.leaseMarginTicks = leaseMarginTicks;
        c.logger = logger;
        c.disableProposalForwarding = disableProposalForwarding;
        c.disableConfChangeValidation = disableConfChangeValidation;
        c.stepDownOnRemoval = stepDownOnRemoval;
        c.random = random;
        c.traceLogger = traceLogger;
        return c;
    }

    /** The identity of this node; never 0. */
    public long id() { return id; }
    public Config id(long value) { id = value; return this; }

    /** Ticks without hearing from a leader before a follower campaigns. */
    public int electionTick() { return electionTick; }
    public Config electionTick(int value) { electionTick = value; return this; }

    /** Ticks between the leader's heartbeats. */
    public int heartbeatTick() { return heartbeatTick; }
    public Config heartbeatTick(int value) { heartbeatTick = value; return this; }

    /** Where the node reads its durable log and state. */
    public Storage storage() { return storage; }
    public Config storage(Storage value) { storage = value; return this; }

    /** The last applied index, for restarts; entries at or below it are not handed out again. */
    public long applied() { return applied; }
    public Config applied(long value) { applied = value; return this; }

    /** Hand storage work to local append/apply threads through messages instead of Ready fields. */
    public boolean asyncStorageWrites() { return asyncStorageWrites; }
    public Config asyncStorageWrites(boolean value) { asyncStorageWrites = value; return this; }

    /** Byte limit of the entries in one append message; 0 sends at most one entry at a time. */
    public long maxSizePerMsg() { return maxSizePerMsg; }
    public Config maxSizePerMsg(long value) { maxSizePerMsg = value; return this; }

    /** Byte limit of the committed entries in one Ready; 0 means maxSizePerMsg. */
    public long maxCommittedSizePerReady() { return maxCommittedSizePerReady; }
    public Config maxCommittedSizePerReady(long value) { maxCommittedSizePerReady = value; return this; }

    /** Payload bytes the leader lets stay uncommitted before dropping proposals; 0 is no limit. */
    public long maxUncommittedEntriesSize() { return maxUncommittedEntriesSize; }
    public Config maxUncommittedEntriesSize(long value) { maxUncommittedEntriesSize = value; return this; }

    /** Append messages in flight to one follower. */
    public int maxInflightMsgs() { return maxInflightMsgs; }
    public Config maxInflightMsgs(int value) { maxInflightMsgs = value; return this; }

    /** Bytes in flight to one follower; 0 is no limit. */
    public long maxInflightBytes() { return maxInflightBytes; }
    public Config maxInflightBytes(long value) { maxInflightBytes = value; return this; }

    /** A leader steps down when it has not heard from a quorum for an election timeout. */
    public boolean checkQuorum() { return checkQuorum; }
    public Config checkQuorum(boolean value) { checkQuorum = value; return this; }

    /** Run a pre-election so that a partitioned node does not disrupt the cluster on rejoin. */
    public boolean preVote() { return preVote; }
    public Config preVote(boolean value) { preVote = value; return this; }

    public ReadOnlyOption readOnlyOption() { return readOnlyOption; }
    public Config readOnlyOption(ReadOnlyOption value) { readOnlyOption = value; return this; }

    /**
     * How many ticks before the end of the election timeout a leader stops trusting its lease
     * (see the package documentation, "Lease reads"); 0 picks {@code 1 + electionTick / 10}.
     * The lease is safe while every pair of nodes ticks at rates within a factor of
     * {@code (electionTick - 1) / (electionTick - leaseMarginTicks)} of each other: a follower
     * grants no vote before {@code electionTick - 1} of its own tick periods after a heartbeat,
     * and the leader trusts that heartbeat for at most {@code electionTick - leaseMarginTicks}
     * of its own. 1 tolerates no difference at all; a larger margin shortens the lease.
     */
    public int leaseMarginTicks() { return leaseMarginTicks; }
    public Config leaseMarginTicks(int value) { leaseMarginTicks = value; return this; }

    public Logger logger() { return logger; }
    public Config logger(Logger value) { logger = value; return this; }

    /** Followers drop proposals instead of forwarding them to the leader. */
    public boolean disableProposalForwarding() { return disableProposalForwarding; }
    public Config disableProposalForwarding(boolean value) { disableProposalForwarding = value; return this; }

    /** Accept conf changes even while another is pending or the config is joint. */
    public boolean disableConfChangeValidation() { return disableConfChangeValidation; }
    public Config disableConfChangeValidation(boolean value) { disableConfChangeValidation = value; return this; }

    /** A leader removed from the configuration steps down. */
    public boolean stepDownOnRemoval() { return stepDownOnRemoval; }
    public Config stepDownOnRemoval(boolean value) { stepDownOnRemoval = value; return this; }

    /** Source of the randomized election timeout; inject a seeded one for reproducible runs. */
    public RandomGenerator random() { return random; }
    public Config random(RandomGenerator value) { random = value; return this; }

    /** Receives state-machine events in etcd's trace format; null (the default) traces nothing. */
    public TraceLogger traceLogger() { return traceLogger; }
    public Config traceLogger(TraceLogger value) { traceLogger = value; return this; }
}
