package io.latchkey.raft.rafttest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.BasicStatus;
import io.latchkey.raft.Config;
import io.latchkey.raft.Describe;
import io.latchkey.raft.MemoryStorage;
import io.latchkey.raft.RaftException;
import io.latchkey.raft.RawNode;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.raft.Ready;
import io.latchkey.raft.Status;
import io.latchkey.raft.StorageException;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeTransition;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.ProgressMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Drives a raft group through datadriven scripts (a port of etcd-io/raft's
 * {@code rafttest.InteractionEnv}). The environment plays network and application for every
 * node: it keeps the messages in flight until a script delivers or drops them, persists and
 * applies what a Ready hands out, and runs the storage "threads" of nodes that use async
 * storage writes. Everything that happens, including what the nodes log, is written to
 * {@link #output()}, and {@link #handle} returns it as the command's actual output.
 *
 * <p>Nodes are addressed by index in the methods (id - 1) and by id in scripts.
 */
public final class InteractionEnv {
    /** Go's math.MaxUint64 "no limit" of the config stub and of log reads. */
    static final long NO_LIMIT = Long.MAX_VALUE;

    /** Entry payloads are printed like Go's {@code %q} of the bytes. */
    static final Describe.EntryFormatter ENTRY_FORMATTER = Describe::quote;

    private final InteractionOpts options;
    private final List<Node> nodes = new ArrayList<>();
    /** Messages sent but neither delivered nor dropped yet, in the order they were sent. */
    private final List<Message> messages = new ArrayList<>();
    private final RedirectLogger output = new RedirectLogger();

    /** @param options may be null for no options */
    public InteractionEnv(InteractionOpts options) {
        this.options = options == null ? InteractionOpts.defaults() : options;
    }

    public InteractionOpts options() {
        return options;
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public List<Message> messages() {
        return List.copyOf(messages);
    }

    public RedirectLogger output() {
        return output;
    }

    /**
     * Runs one script command and returns its output. Errors raised by the nodes or their
     * storage are part of the output; mistakes in the script fail the test. An empty output
     * reads {@code ok}. At log level NONE only an error's text is returned.
     */
    public String handle(Command d) {
        output.reset();
        try {
            dispatch(d);
        } catch (InteractionError | RaftException | StorageException e) {
            if (output.quiet()) {
                return e.getMessage();
            }
            output.write(e.getMessage());
        }
        if (output.length() == 0) {
            return "ok";
        }
        return output.toString();
    }

    private void dispatch(Command d) {
        switch (d.cmd()) {
            // Does nothing: put a debugger breakpoint here and a "_breakpoint" stanza in the script.
            case "_breakpoint" -> {
            }
            // add-nodes <count> voters=(1 2 3) learners=(4 5) index=2 content=foo async-storage-writes=true ...
            case "add-nodes" -> handleAddNodes(d);
            // campaign <id>
            case "campaign" -> campaign(firstAsNodeIdx(d));
            // compact <id> <new-first-index>
            case "compact" -> handleCompact(d);
            // deliver-msgs <id>... [type=MsgApp] [drop=(2,3)]
            case "deliver-msgs" -> handleDeliverMsgs(d);
            // process-ready <id>...
            case "process-ready" -> handleProcessReady(d);
            // process-append-thread <id>...
            case "process-append-thread" -> handleProcessAppendThread(d);
            // process-apply-thread <id>...
            case "process-apply-thread" -> handleProcessApplyThread(d);
            // log-level <DEBUG|INFO|WARN|ERROR|FATAL|NONE>; NONE silences all but errors.
            case "log-level" -> logLevel(d.arg(0).key());
            // raft-log <id>
            case "raft-log" -> raftLog(firstAsNodeIdx(d));
            // raft-state: role, voter status, term and leader of every node, as each sees itself.
            case "raft-state" -> raftState();
            // set-randomized-election-timeout <id> timeout=<ticks>; reset by the next state change.
            case "set-randomized-election-timeout" -> handleSetRandomizedElectionTimeout(d);
            // stabilize [<id>...] [log-level=<level>]; all nodes when no id is given.
            case "stabilize" -> handleStabilize(d);
            // status <id>
            case "status" -> status(firstAsNodeIdx(d));
            // tick-election <id>: electionTick ticks (the randomized timeout may need more).
            case "tick-election" -> tickElection(d);
            // tick-heartbeat <id>
            case "tick-heartbeat" -> tickHeartbeat(d);
            // transfer-leadership from=<id> to=<id>
            case "transfer-leadership" -> handleTransferLeadership(d);
            // forget-leader <id>
            case "forget-leader" -> forgetLeader(firstAsNodeIdx(d));
            // send-snapshot <from> <to>: queues a MsgSnap without delivering it.
            case "send-snapshot" -> handleSendSnapshot(d);
            // propose <id> <data>
            case "propose" -> handlePropose(d);
            // propose-conf-change <id> [v1=<bool>] [transition=auto|implicit|explicit], changes
            // as input (see ConfChanges.fromString), e.g. "v1 v3 l4 r5". add-nodes still has to
            // create the nodes that are added.
            case "propose-conf-change" -> handleProposeConfChange(d);
            // report-unreachable <on-id> <unreachable-id>
            case "report-unreachable" -> handleReportUnreachable(d);
            // Latchkey extension, not upstream: read-index <id> <request-context> [mode=lease|safe]
            // (mode: the read mode of this request instead of the configured one).
            case "read-index" -> handleReadIndex(d);
            default -> throw new InteractionError("unknown command");
        }
    }

    // ---- argument helpers -------------------------------------------------------------------

    private static int firstAsInt(Command d) {
        return d.parseOrFail(Strconv::atoi, d.arg(0).key());
    }

    private static int firstAsNodeIdx(Command d) {
        return firstAsInt(d) - 1;
    }

    /** The node indexes named by the value-less arguments. */
    private static List<Integer> nodeIdxs(Command d) {
        List<Integer> idxs = new ArrayList<>();
        for (Command.Arg a : d.args()) {
            if (a.vals().isEmpty()) {
                idxs.add(d.parseOrFail(Strconv::atoi, a.key()) - 1);
            }
        }
        return idxs;
    }

    // ---- output helpers ---------------------------------------------------------------------

    /** Runs {@code f}, then adds what it wrote to the output with every line indented by two spaces. */
    void withIndent(Runnable f) {
        StringBuilder inner = new StringBuilder();
        StringBuilder outer = output.swapBuilder(inner);
        try {
            f.run();
        } finally {
            output.swapBuilder(outer);
            for (String line : scanLines(inner)) {
                outer.append("  ").append(line).append('\n');
            }
        }
    }

    /**
     * Splits like Go's {@code bufio.ScanLines}: a trailing carriage return is dropped from each
     * line, and a final newline does not start another (empty) line.
     */
    static List<String> scanLines(CharSequence s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                lines.add(dropCarriageReturn(s.subSequence(start, i)));
                start = i + 1;
            }
        }
        if (start < s.length()) {
            lines.add(dropCarriageReturn(s.subSequence(start, s.length())));
        }
        return lines;
    }

    private static String dropCarriageReturn(CharSequence line) {
        int n = line.length();
        return n > 0 && line.charAt(n - 1) == '\r' ? line.subSequence(0, n - 1).toString() : line.toString();
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** Go's {@code %q} of a string. */
    static String quote(String s) {
        return Describe.quote(ByteString.copyFromUtf8(s));
    }

    // ---- add-nodes --------------------------------------------------------------------------

    /** A template config with small tick counts and no size or inflight limits; id and storage are set per node. */
    static Config raftConfigStub() {
        return new Config()
                .electionTick(3)
                .heartbeatTick(1)
                .maxSizePerMsg(NO_LIMIT)
                .maxInflightMsgs(Integer.MAX_VALUE);
    }

    /**
     * Gives a snapshot (or a new one for null) its metadata, conf state, index and term fields,
     * set to zero where absent, so that "nothing given" compares equal to "all zero".
     */
    static Snapshot ensureSnapshot(Snapshot snap) {
        Snapshot.Builder b = snap == null ? Snapshot.newBuilder() : snap.toBuilder();
        SnapshotMetadata.Builder m = b.getMetadataBuilder();
        if (!m.hasConfState()) {
            m.setConfState(ConfState.getDefaultInstance());
        }
        if (!m.hasIndex()) {
            m.setIndex(0);
        }
        if (!m.hasTerm()) {
            m.setTerm(0);
        }
        return b.build();
    }

    private void handleAddNodes(Command d) {
        int n = firstAsInt(d);
        Snapshot.Builder snap = ensureSnapshot(null).toBuilder();
        ConfState.Builder cs = snap.getMetadataBuilder().getConfStateBuilder();
        Config cfg = raftConfigStub();
        for (Command.Arg arg : d.args().subList(1, d.args().size())) {
            for (int i = 0; i < arg.vals().size(); i++) {
                switch (arg.key()) {
                    case "voters" -> cs.addVoters(d.scanUint(arg, i));
                    case "learners" -> cs.addLearners(d.scanUint(arg, i));
                    case "inflight" -> cfg.maxInflightMsgs(d.scanInt(arg, i));
                    case "index" -> {
                        long index = d.scanUint(arg, i);
                        snap.getMetadataBuilder().setIndex(index);
                        cfg.applied(index);
                    }
                    case "content" -> snap.setData(ByteString.copyFromUtf8(d.scan(arg, i)));
                    case "async-storage-writes" -> cfg.asyncStorageWrites(d.scanBool(arg, i));
                    case "prevote" -> cfg.preVote(d.scanBool(arg, i));
                    case "checkquorum" -> cfg.checkQuorum(d.scanBool(arg, i));
                    case "max-committed-size-per-ready" -> cfg.maxCommittedSizePerReady(d.scanUint(arg, i));
                    case "disable-conf-change-validation" -> cfg.disableConfChangeValidation(d.scanBool(arg, i));
                    case "read-only" -> cfg.readOnlyOption(switch (arg.vals().get(i)) {
                        case "safe" -> ReadOnlyOption.ReadOnlySafe;
                        case "lease-based" -> ReadOnlyOption.ReadOnlyLeaseBased;
                        default -> throw new InteractionError(
                                "invalid read-only option " + quote(arg.vals().get(i)));
                    });
                    case "step-down-on-removal" -> cfg.stepDownOnRemoval(d.scanBool(arg, i));
                    // Latchkey extension, not upstream.
                    case "disable-proposal-forwarding" -> cfg.disableProposalForwarding(d.scanBool(arg, i));
                    default -> {
                        // Unknown keys are ignored, as upstream does.
                    }
                }
            }
        }
        addNodes(n, cfg, snap.build());
    }

    /**
     * Adds {@code n} nodes with the next free ids, configured from the template {@code cfg}.
     * A non-empty {@code snap} (null is empty) is installed in each node's storage first, at
     * term 1; its index must then be above 1.
     */
    public void addNodes(int n, Config cfg, Snapshot snap) {
        Snapshot empty = ensureSnapshot(null);
        snap = ensureSnapshot(snap);
        boolean bootstrap = !snap.equals(empty);
        for (int i = 0; i < n; i++) {
            long id = 1 + nodes.size();
            int idx = nodes.size();
            SnapOverrideStorage s = new SnapOverrideStorage(new MemoryStorage(), () -> nodes.get(idx).latestSnapshot());
            if (bootstrap) {
                // MemoryStorage cannot take a snapshot at index 1 next to its dummy entry at index 0.
                if (snap.getMetadata().getIndex() <= 1) {
                    throw new InteractionError("index must be specified as > 1 due to bootstrap");
                }
                snap = snap.toBuilder().setMetadata(snap.getMetadata().toBuilder().setTerm(1)).build();
                s.applySnapshot(snap);
                long fi = s.firstIndex();
                long expected = snap.getMetadata().getIndex() + 1;
                if (fi != expected) {
                    throw new InteractionError(fmt("failed to establish first index %d; got %d", expected, fi));
                }
            }
            Config c = cfg.copy().id(id).storage(s);
            if (options.onConfig() != null) {
                options.onConfig().accept(c);
                if (c.id() != id) {
                    throw new InteractionError("OnConfig must not change the ID");
                }
            }
            if (c.logger() != null) {
                throw new InteractionError("OnConfig must not set Logger");
            }
            c.logger(output);
            RawNode rn;
            try {
                rn = new RawNode(c);
            } catch (IllegalArgumentException e) {
                throw new InteractionError(e.getMessage());
            }
            nodes.add(new Node(rn, s, c, snap));
        }
    }

    // ---- simple per-node commands -----------------------------------------------------------

    public void campaign(int idx) {
        nodes.get(idx).rawNode().campaign();
    }

    private void handleCompact(Command d) {
        int idx = firstAsNodeIdx(d);
        compact(idx, Strconv.parseUint(d.arg(1).key()));
    }

    /** Truncates the log of a node so that {@code newFirstIndex} becomes its first index, then prints the log. */
    public void compact(int idx, long newFirstIndex) {
        nodes.get(idx).storage().compact(newFirstIndex);
        raftLog(idx);
    }

    public void forgetLeader(int idx) {
        nodes.get(idx).rawNode().forgetLeader();
    }

    /** Sets the lowest level written, by name (case-insensitive). */
    public void logLevel(String name) {
        for (int i = 0; i < RedirectLogger.LEVEL_NAMES.size(); i++) {
            if (RedirectLogger.LEVEL_NAMES.get(i).equalsIgnoreCase(name)) {
                output.setLevel(i);
                return;
            }
        }
        throw new InteractionError("log levels must be either of " + Describe.goList(RedirectLogger.LEVEL_NAMES));
    }

    private void handlePropose(Command d) {
        int idx = firstAsNodeIdx(d);
        if (d.args().size() != 2 || !d.args().get(1).vals().isEmpty()) {
            throw d.fail("expected exactly one key with no vals: %s", d.args().subList(1, d.args().size()));
        }
        propose(idx, ByteString.copyFromUtf8(d.args().get(1).key()));
    }

    public void propose(int idx, ByteString data) {
        nodes.get(idx).rawNode().propose(data);
    }

    private void handleReadIndex(Command d) {
        int idx = firstAsNodeIdx(d);
        List<Command.Arg> rest = d.args().subList(1, d.args().size());
        if (rest.isEmpty() || !rest.get(0).vals().isEmpty()) {
            throw d.fail("expected a request context (a key with no vals): %s", rest);
        }
        ByteString requestContext = ByteString.copyFromUtf8(rest.get(0).key());
        if (rest.size() == 1) {
            readIndex(idx, requestContext);
            return;
        }
        if (rest.size() != 2 || !rest.get(1).key().equals("mode") || rest.get(1).vals().size() != 1) {
            throw d.fail("expected at most mode=lease|safe after the request context: %s", rest);
        }
        ReadOnlyOption mode = switch (rest.get(1).vals().get(0)) {
            case "lease" -> ReadOnlyOption.ReadOnlyLeaseBased;
            case "safe" -> ReadOnlyOption.ReadOnlySafe;
            default -> throw d.fail("invalid read mode %s", quote(rest.get(1).vals().get(0)));
        };
        nodes.get(idx).rawNode().readIndex(requestContext, mode);
    }

    /** Requests a linearizable read; the answer shows up as a ReadState in a later Ready. */
    public void readIndex(int idx, ByteString requestContext) {
        nodes.get(idx).rawNode().readIndex(requestContext);
    }

    private void handleReportUnreachable(Command d) {
        List<Integer> idxs = nodeIdxs(d);
        if (idxs.size() != 2) {
            throw new InteractionError("must specify exactly two node indexes: node on which to report, and reported node");
        }
        nodes.get(idxs.get(0)).rawNode().reportUnreachable(nodes.get(idxs.get(1)).config().id());
    }

    private void handleSetRandomizedElectionTimeout(Command d) {
        int idx = firstAsNodeIdx(d);
        int timeout = d.parseOrFail(Strconv::atoi, d.scanArg("timeout"));
        if (timeout == 0) {
            throw d.fail("timeout must not be zero");
        }
        if (options.setRandomizedElectionTimeout() == null) {
            throw new IllegalStateException("InteractionOpts.setRandomizedElectionTimeout is not set");
        }
        options.setRandomizedElectionTimeout().accept(nodes.get(idx).rawNode(), timeout);
    }

    private void tickElection(Command d) {
        int idx = firstAsNodeIdx(d);
        tick(idx, nodes.get(idx).config().electionTick());
    }

    private void tickHeartbeat(Command d) {
        int idx = firstAsNodeIdx(d);
        tick(idx, nodes.get(idx).config().heartbeatTick());
    }

    public void tick(int idx, int count) {
        for (int i = 0; i < count; i++) {
            nodes.get(idx).rawNode().tick();
        }
    }

    private void handleTransferLeadership(Command d) {
        long from = d.parseOrFail(Strconv::parseUint, d.scanArg("from"));
        long to = d.parseOrFail(Strconv::parseUint, d.scanArg("to"));
        if (from == 0 || Long.compareUnsigned(from, nodes.size()) > 0) {
            throw d.fail("expected valid \"from\" argument");
        }
        if (to == 0 || Long.compareUnsigned(to, nodes.size()) > 0) {
            throw d.fail("expected valid \"to\" argument");
        }
        transferLeadership(from, to);
    }

    public void transferLeadership(long from, long to) {
        nodes.get((int) (from - 1)).rawNode().transferLeader(to);
    }

    // ---- propose-conf-change ----------------------------------------------------------------

    private void handleProposeConfChange(Command d) {
        int idx = firstAsNodeIdx(d);
        boolean v1 = false;
        ConfChangeTransition transition = ConfChangeTransition.ConfChangeTransitionAuto;
        for (Command.Arg arg : d.args().subList(1, d.args().size())) {
            for (String val : arg.vals()) {
                switch (arg.key()) {
                    case "v1" -> v1 = Strconv.parseBool(val);
                    case "transition" -> transition = switch (val) {
                        case "auto" -> ConfChangeTransition.ConfChangeTransitionAuto;
                        case "implicit" -> ConfChangeTransition.ConfChangeTransitionJointImplicit;
                        case "explicit" -> ConfChangeTransition.ConfChangeTransitionJointExplicit;
                        default -> throw new InteractionError("unknown transition " + val);
                    };
                    default -> throw new InteractionError("unknown command " + arg.key());
                }
            }
        }

        List<ConfChangeSingle> ccs;
        try {
            ccs = ConfChanges.fromString(d.input());
        } catch (IllegalArgumentException e) {
            throw new InteractionError(e.getMessage());
        }

        if (v1) {
            if (ccs.size() > 1 || transition != ConfChangeTransition.ConfChangeTransitionAuto) {
                throw new InteractionError("v1 conf change can only have one operation and no transition");
            }
            proposeConfChange(idx, ConfChange.newBuilder()
                    .setType(ccs.get(0).getType())
                    .setNodeId(ccs.get(0).getNodeId())
                    .build());
        } else {
            proposeConfChange(idx, ConfChangeV2.newBuilder()
                    .setTransition(transition)
                    .addAllChanges(ccs)
                    .build());
        }
    }

    public void proposeConfChange(int idx, ConfChange cc) {
        nodes.get(idx).rawNode().proposeConfChange(cc);
    }

    public void proposeConfChange(int idx, ConfChangeV2 cc) {
        nodes.get(idx).rawNode().proposeConfChange(cc);
    }

    // ---- inspection -------------------------------------------------------------------------

    /** Prints the entries in a node's storage. */
    public void raftLog(int idx) {
        NodeStorage s = nodes.get(idx).storage();
        long fi = s.firstIndex();
        long li = s.lastIndex();
        if (li < fi) {
            output.write(fmt("log is empty: first index=%d, last index=%d", fi, li));
            return;
        }
        List<Entry> entries = s.entries(fi, li + 1, NO_LIMIT);
        output.write(Describe.describeEntries(entries, ENTRY_FORMATTER));
    }

    /** Prints, for every node and as that node sees itself: role, voter status, term and leader. */
    public void raftState() {
        for (Node n : nodes) {
            Status st = n.rawNode().status();
            BasicStatus basic = st.basic();
            String voterStatus = st.config().voters().ids().contains(basic.id()) ? "(Voter)" : "(Non-Voter)";
            output.write(fmt("%d: %s %s Term:%d Lead:%d\n", basic.id(), basic.softState().raftState(), voterStatus,
                    basic.hardState().getTerm(), basic.softState().lead()));
        }
    }

    /** Prints the progress a node tracks for its peers (nothing unless it leads). */
    public void status(int idx) {
        Status st = nodes.get(idx).rawNode().status();
        ProgressMap m = new ProgressMap();
        for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
            m.put(e.getKey(), e.getValue());
        }
        output.write(m.toString());
    }

    // ---- send-snapshot ----------------------------------------------------------------------

    private void handleSendSnapshot(Command d) {
        List<Integer> idxs = nodeIdxs(d);
        if (idxs.size() != 2) {
            throw d.fail("expected exactly two node ids, got %d", idxs.size());
        }
        try {
            sendSnapshot(idxs.get(0), idxs.get(1));
        } catch (StorageException e) {
            // Upstream drops this error; keep the output identical.
        }
    }

    /** Queues a MsgSnap carrying the sender's latest applied state, without delivering it. */
    public void sendSnapshot(int fromIdx, int toIdx) {
        Snapshot snap = nodes.get(fromIdx).storage().snapshot();
        BasicStatus fromStatus = nodes.get(fromIdx).rawNode().basicStatus();
        Message msg = Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setTerm(fromStatus.hardState().getTerm())
                .setFrom(fromIdx + 1)
                .setTo(toIdx + 1)
                .setSnapshot(snap)
                .build();
        messages.add(msg);
        output.write(Describe.describeMessage(msg, null));
    }

    // ---- deliver-msgs -----------------------------------------------------------------------

    /** Messages to deliver to, or drop for, one node. */
    public record Recipient(long id, boolean drop) {
    }

    private void handleDeliverMsgs(Command d) {
        MessageType type = null;
        List<Recipient> rs = new ArrayList<>();
        for (Command.Arg arg : d.args()) {
            if (arg.vals().isEmpty()) {
                rs.add(new Recipient(d.parseOrFail(Strconv::parseUint, arg.key()), false));
            }
            for (int i = 0; i < arg.vals().size(); i++) {
                switch (arg.key()) {
                    case "drop" -> {
                        long id = d.scanUint(arg, i);
                        if (rs.stream().anyMatch(r -> r.id() == id)) {
                            throw d.fail("can't both deliver and drop msgs to %d", id);
                        }
                        rs.add(new Recipient(id, true));
                    }
                    case "type" -> type = messageType(d, d.scan(arg, i));
                    default -> {
                        // Unknown keys are ignored, as upstream does.
                    }
                }
            }
        }
        if (deliverMsgs(type, rs) == 0) {
            output.write("no messages\n");
        }
    }

    private static MessageType messageType(Command d, String name) {
        try {
            return MessageType.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw d.fail("unknown message type %s", name);
        }
    }

    /**
     * Delivers (or, for a dropping recipient, discards) the in-flight messages to each recipient
     * in turn, in the order they were sent. Only messages of {@code type} are taken, all types
     * for null. Messages to or from the local storage threads are never dropped.
     *
     * @return how many messages were delivered or dropped
     */
    public int deliverMsgs(MessageType type, List<Recipient> recipients) {
        int n = 0;
        for (Recipient r : recipients) {
            List<Message> msgs = takeMsgs(r.id(), type, r.drop());
            n += msgs.size();
            for (Message msg : msgs) {
                if (r.drop()) {
                    output.write("dropped: ");
                }
                output.writeLine(Describe.describeMessage(msg, ENTRY_FORMATTER));
                if (r.drop()) {
                    // Dropping never touches the recipient, which need not exist yet.
                    continue;
                }
                try {
                    nodes.get((int) (msg.getTo() - 1)).rawNode().step(msg);
                } catch (RaftException e) {
                    output.writeLine(e.getMessage());
                }
            }
        }
        return n;
    }

    /** Removes and returns the in-flight messages {@link #selects} would take, keeping the order of the rest. */
    private List<Message> takeMsgs(long to, MessageType type, boolean drop) {
        List<Message> taken = new ArrayList<>();
        List<Message> rest = new ArrayList<>();
        for (Message m : messages) {
            (selects(m, to, type, drop) ? taken : rest).add(m);
        }
        messages.clear();
        messages.addAll(rest);
        return taken;
    }

    private static boolean selects(Message m, long to, MessageType type, boolean drop) {
        return m.getTo() == to && !(drop && isLocalMsg(m)) && (type == null || m.getType() == type);
    }

    /** Messages within one node must arrive: to or from itself or one of its storage threads. */
    private static boolean isLocalMsg(Message m) {
        return m.getFrom() == m.getTo() || Describe.isLocalMsgTarget(m.getFrom()) || Describe.isLocalMsgTarget(m.getTo());
    }

    private boolean hasMsgsFor(long to) {
        return messages.stream().anyMatch(m -> selects(m, to, null, false));
    }

    // ---- Ready handling ---------------------------------------------------------------------

    private void forEachNode(Command d, String header, IntConsumer action) {
        List<Integer> idxs = nodeIdxs(d);
        for (int idx : idxs) {
            if (idxs.size() > 1) {
                output.write(fmt("> %d %s\n", idx + 1, header));
                withIndent(() -> action.accept(idx));
            } else {
                action.accept(idx);
            }
        }
    }

    private void handleProcessReady(Command d) {
        forEachNode(d, "handling Ready", this::processReady);
    }

    /**
     * Handles one Ready of a node as the application would. With synchronous storage writes it
     * persists, applies and advances right away; with async writes the storage work is queued
     * for the node's append and apply threads instead.
     */
    public void processReady(int idx) {
        Node n = nodes.get(idx);
        Ready rd = n.rawNode().ready();
        output.write(Describe.describeReady(rd, ENTRY_FORMATTER));

        boolean async = n.config().asyncStorageWrites();
        if (!async) {
            processAppend(n, rd.hardState(), rd.entries(), rd.snapshot());
            processApply(n, rd.committedEntries());
        }

        for (Message m : rd.messages()) {
            if (Describe.isLocalMsgTarget(m.getTo())) {
                if (!async) {
                    throw new IllegalStateException("unexpected local msg target");
                }
                switch (m.getType()) {
                    case MsgStorageAppend -> n.appendWork.add(m);
                    case MsgStorageApply -> n.applyWork.add(m);
                    default -> throw new IllegalStateException("unexpected message type " + m.getType());
                }
            } else {
                messages.add(m);
            }
        }

        if (!async) {
            n.rawNode().advance(rd);
        }
    }

    private void handleProcessAppendThread(Command d) {
        forEachNode(d, "processing append thread", this::processAppendThread);
    }

    /** Lets a node's append thread handle its oldest MsgStorageAppend; the responses go in flight. */
    public void processAppendThread(int idx) {
        Node n = nodes.get(idx);
        if (n.appendWork.isEmpty()) {
            output.write("no append work to perform");
            return;
        }
        Message m = n.appendWork.removeFirst();
        List<Message> responses = m.getResponsesList();
        m = m.toBuilder().clearResponses().build();
        output.write("Processing:\n");
        output.write(Describe.describeMessage(m, ENTRY_FORMATTER) + "\n");
        HardState st = HardState.newBuilder()
                .setTerm(m.getTerm())
                .setVote(m.getVote())
                .setCommit(m.getCommit())
                .build();
        Snapshot snap = ensureSnapshot(m.hasSnapshot() ? m.getSnapshot() : null);
        processAppend(n, st, m.getEntriesList(), snap);

        output.write("Responses:\n");
        for (Message r : responses) {
            output.write(Describe.describeMessage(r, ENTRY_FORMATTER) + "\n");
        }
        messages.addAll(responses);
    }

    private void handleProcessApplyThread(Command d) {
        forEachNode(d, "processing apply thread", this::processApplyThread);
    }

    /** Lets a node's apply thread handle its oldest MsgStorageApply; the responses go in flight. */
    public void processApplyThread(int idx) {
        Node n = nodes.get(idx);
        if (n.applyWork.isEmpty()) {
            output.write("no apply work to perform");
            return;
        }
        Message m = n.applyWork.removeFirst();
        List<Message> responses = m.getResponsesList();
        m = m.toBuilder().clearResponses().build();
        output.write("Processing:\n");
        output.write(Describe.describeMessage(m, ENTRY_FORMATTER) + "\n");
        processApply(n, m.getEntriesList());

        output.write("Responses:\n");
        for (Message r : responses) {
            output.write(Describe.describeMessage(r, ENTRY_FORMATTER) + "\n");
        }
        messages.addAll(responses);
    }

    // The order of these writes is not crash-safe (see etcd-io/etcd#10861); the harness never crashes.
    private static void processAppend(Node n, HardState st, List<Entry> entries, Snapshot snap) {
        NodeStorage s = n.storage();
        if (!Ready.isEmptyHardState(st)) {
            s.setHardState(st);
        }
        if (!Ready.isEmptySnap(snap)) {
            if (!entries.isEmpty()) {
                throw new InteractionError("can't apply snapshot and entries at the same time");
            }
            s.applySnapshot(snap);
            return;
        }
        s.append(entries);
    }

    /**
     * Applies entries to the node's state machine, which only concatenates payloads (conf
     * changes contribute their context), and records the state after each entry.
     */
    private static void processApply(Node n, List<Entry> entries) {
        for (Entry ent : entries) {
            ByteString update;
            ConfState cs = null;
            switch (ent.getType()) {
                case EntryConfChange -> {
                    ConfChange cc = parse(() -> ConfChange.parseFrom(ent.getData()));
                    update = cc.getContext();
                    cs = n.rawNode().applyConfChange(cc);
                }
                case EntryConfChangeV2 -> {
                    ConfChangeV2 cc = parse(() -> ConfChangeV2.parseFrom(ent.getData()));
                    cs = n.rawNode().applyConfChange(cc);
                    update = cc.getContext();
                }
                default -> update = ent.getData();
            }

            Snapshot last = n.latestSnapshot();
            SnapshotMetadata.Builder meta = SnapshotMetadata.newBuilder()
                    .setIndex(ent.getIndex())
                    .setTerm(ent.getTerm())
                    .setConfState(cs != null ? cs : last.getMetadata().getConfState());
            Snapshot.Builder snap = Snapshot.newBuilder().setMetadata(meta);
            ByteString data = last.getData().concat(update);
            // Upstream concatenates onto a nil slice, which stays unset while there is nothing to add.
            if (!data.isEmpty()) {
                snap.setData(data);
            }
            n.history.add(snap.build());
        }
    }

    private interface ProtoParser<T> {
        T parse() throws InvalidProtocolBufferException;
    }

    private static <T> T parse(ProtoParser<T> parser) {
        try {
            return parser.parse();
        } catch (InvalidProtocolBufferException e) {
            throw new InteractionError(e.getMessage());
        }
    }

    // ---- stabilize --------------------------------------------------------------------------

    private void handleStabilize(Command d) {
        List<Integer> idxs = nodeIdxs(d);
        int previousLevel = output.level();
        try {
            for (Command.Arg arg : d.args()) {
                for (int i = 0; i < arg.vals().size(); i++) {
                    if (arg.key().equals("log-level")) {
                        logLevel(d.scan(arg, i));
                    }
                }
            }
            stabilize(idxs);
        } finally {
            output.setLevel(previousLevel);
        }
    }

    /**
     * Handles Readys, delivers messages and runs storage threads of the given nodes (all for
     * an empty list) until none of them has anything left to do. Each round goes through the
     * nodes in that order for each kind of work, under a "> id ..." header per node.
     */
    public void stabilize(List<Integer> idxs) {
        List<Node> group = new ArrayList<>();
        if (idxs.isEmpty()) {
            group.addAll(nodes);
        } else {
            for (int idx : idxs) {
                group.add(nodes.get(idx));
            }
        }

        boolean done = false;
        while (!done) {
            done = true;
            for (Node n : group) {
                if (n.rawNode().hasReady()) {
                    int idx = (int) (n.config().id() - 1);
                    output.write(fmt("> %d handling Ready\n", idx + 1));
                    withIndent(() -> processReady(idx));
                    done = false;
                }
            }
            for (Node n : group) {
                long id = n.config().id();
                if (hasMsgsFor(id)) {
                    output.write(fmt("> %d receiving messages\n", id));
                    withIndent(() -> deliverMsgs(null, List.of(new Recipient(id, false))));
                    done = false;
                }
            }
            for (Node n : group) {
                int idx = (int) (n.config().id() - 1);
                if (!n.appendWork.isEmpty()) {
                    output.write(fmt("> %d processing append thread\n", idx + 1));
                    while (!n.appendWork.isEmpty()) {
                        withIndent(() -> processAppendThread(idx));
                    }
                    done = false;
                }
            }
            for (Node n : group) {
                int idx = (int) (n.config().id() - 1);
                if (!n.applyWork.isEmpty()) {
                    output.write(fmt("> %d processing apply thread\n", idx + 1));
                    while (!n.applyWork.isEmpty()) {
                        withIndent(() -> {
                            try {
                                processApplyThread(idx);
                            } catch (InteractionError | RaftException | StorageException e) {
                                // Upstream ignores apply-thread errors while stabilizing; so do we,
                                // to keep the output identical.
                            }
                        });
                    }
                    done = false;
                }
            }
        }
    }
}
