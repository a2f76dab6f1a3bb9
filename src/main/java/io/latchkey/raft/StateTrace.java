package io.latchkey.raft;

import io.latchkey.raft.TracingEvent.SingleConfChange;
import io.latchkey.raft.TracingEvent.TracingConfChange;
import io.latchkey.raft.TracingEvent.TracingMessage;
import io.latchkey.raft.TracingEvent.TracingState;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.EntryType;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.TrackerConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The trace points of the Raft core (etcd-io/raft {@code state_trace.go}), called at the same
 * places as in etcd. Every method returns at once when no {@link TraceLogger} is configured, so
 * tracing costs the hot path one null check and no allocation, much as etcd's build without the
 * {@code with_tla} tag costs nothing.
 *
 * <p>etcd's {@code traceReceiveMessage} sleeps a millisecond to soften clock skew between
 * processes that log into one file; the core keeps no clock, so that sleep is left out: a
 * caller that merges traces of several nodes orders them itself.
 */
final class StateTrace {
    /** etcd's {@code stateMachineEventType}; the names are the {@code name} field of the trace. */
    enum EventType {
        InitState,
        BecomeCandidate,
        BecomeFollower,
        BecomeLeader,
        Commit,
        Replicate,
        ChangeConf,
        ApplyConfChange,
        Ready,
        SendAppendEntriesRequest,
        ReceiveAppendEntriesRequest,
        SendAppendEntriesResponse,
        ReceiveAppendEntriesResponse,
        SendRequestVoteRequest,
        ReceiveRequestVoteRequest,
        SendRequestVoteResponse,
        ReceiveRequestVoteResponse,
        SendSnapshot,
        ReceiveSnapshot
    }

    static final String CONF_CHANGE_ADD_NEW_SERVER = "AddNewServer";
    static final String CONF_CHANGE_REMOVE_SERVER = "RemoveServer";
    static final String CONF_CHANGE_ADD_LEARNER = "AddLearner";

    private StateTrace() {
    }

    static void traceInitState(Raft r) {
        traceNodeEvent(EventType.InitState, r);
    }

    static void traceReady(Raft r) {
        traceNodeEvent(EventType.Ready, r);
    }

    static void traceCommit(Raft r) {
        traceNodeEvent(EventType.Commit, r);
    }

    /** One Replicate event per normal entry appended; conf change entries are traced as ChangeConf. */
    static void traceReplicate(Raft r, List<Entry> entries) {
        if (r.traceLogger == null) {
            return;
        }
        for (Entry e : entries) {
            if (e.getType() == EntryType.EntryNormal) {
                traceNodeEvent(EventType.Replicate, r);
            }
        }
    }

    static void traceBecomeFollower(Raft r) {
        traceNodeEvent(EventType.BecomeFollower, r);
    }

    static void traceBecomeCandidate(Raft r) {
        traceNodeEvent(EventType.BecomeCandidate, r);
    }

    static void traceBecomeLeader(Raft r) {
        traceNodeEvent(EventType.BecomeLeader, r);
    }

    /** A conf change the leader accepted into its log; changes of other kinds are not traced. */
    static void traceChangeConfEvent(ConfChangeV2 cc, Raft r) {
        if (r.traceLogger == null) {
            return;
        }
        List<SingleConfChange> changes = new ArrayList<>();
        for (ConfChangeSingle c : cc.getChangesList()) {
            String action = switch (c.getType()) {
                case ConfChangeAddNode -> CONF_CHANGE_ADD_NEW_SERVER;
                case ConfChangeRemoveNode -> CONF_CHANGE_REMOVE_SERVER;
                case ConfChangeAddLearnerNode -> CONF_CHANGE_ADD_LEARNER;
                default -> null;
            };
            if (action != null) {
                changes.add(new SingleConfChange(Long.toUnsignedString(c.getNodeId()), action));
            }
        }
        if (changes.isEmpty()) {
            return;
        }
        traceEvent(EventType.ChangeConf, r, null, Map.of("cc", new TracingConfChange(changes, List.of())));
    }

    /** A configuration about to become current (etcd traces it at the top of switchToConfig). */
    static void traceConfChangeEvent(TrackerConfig cfg, Raft r) {
        if (r.traceLogger == null) {
            return;
        }
        TracingConfChange cc = new TracingConfChange(List.of(), formatConf(cfg.voters().incoming().slice()));
        traceEvent(EventType.ApplyConfChange, r, null, Map.of("cc", cc));
    }

    static void traceSendMessage(Raft r, Message m) {
        if (r.traceLogger == null) {
            return;
        }
        Map<String, Object> prop = new HashMap<>();
        EventType evt;
        switch (m.getType()) {
            case MsgApp -> {
                evt = EventType.SendAppendEntriesRequest;
                // As in etcd: the progress of the sender, i.e. the leader's own.
                Progress p = r.trk.progress().get(m.getFrom());
                if (p != null) {
                    prop.put("match", p.match());
                    prop.put("next", p.next());
                }
            }
            case MsgHeartbeat, MsgSnap -> evt = EventType.SendAppendEntriesRequest;
            case MsgAppResp, MsgHeartbeatResp -> evt = EventType.SendAppendEntriesResponse;
            case MsgVote -> evt = EventType.SendRequestVoteRequest;
            case MsgVoteResp -> evt = EventType.SendRequestVoteResponse;
            default -> {
                return;
            }
        }
        traceEvent(evt, r, m, Map.copyOf(prop));
    }

    static void traceReceiveMessage(Raft r, Message m) {
        if (r.traceLogger == null) {
            return;
        }
        EventType evt;
        switch (m.getType()) {
            case MsgApp, MsgHeartbeat, MsgSnap -> evt = EventType.ReceiveAppendEntriesRequest;
            case MsgAppResp, MsgHeartbeatResp -> evt = EventType.ReceiveAppendEntriesResponse;
            case MsgVote -> evt = EventType.ReceiveRequestVoteRequest;
            case MsgVoteResp -> evt = EventType.ReceiveRequestVoteResponse;
            default -> {
                return;
            }
        }
        traceEvent(evt, r, m, null);
    }

    private static void traceNodeEvent(EventType evt, Raft r) {
        if (r.traceLogger == null) {
            return;
        }
        traceEvent(evt, r, null, null);
    }

    private static void traceEvent(EventType evt, Raft r, Message m, Map<String, Object> prop) {
        TrackerConfig cfg = r.trk.config();
        r.traceLogger.traceEvent(new TracingEvent(
                evt.name(),
                Long.toUnsignedString(r.id),
                makeTracingState(r),
                r.state.name(),
                r.raftLog.lastIndex(),
                List.of(formatConf(cfg.voters().incoming().slice()), formatConf(cfg.voters().outgoing().slice())),
                makeTracingMessage(m),
                prop));
    }

    private static TracingState makeTracingState(Raft r) {
        HardState hs = r.hardState();
        return new TracingState(hs.getTerm(), Long.toUnsignedString(hs.getVote()), hs.getCommit());
    }

    private static TracingMessage makeTracingMessage(Message m) {
        if (m == null) {
            return null;
        }
        long logTerm = m.getLogTerm();
        int entries = m.getEntriesCount();
        long index = m.getIndex();
        if (m.getType() == MessageType.MsgSnap) {
            // etcd puts the snapshot's index where the entry count goes (a Go int conversion).
            index = 0;
            logTerm = 0;
            entries = (int) m.getSnapshot().getMetadata().getIndex();
        }
        return new TracingMessage(m.getType().name(), m.getTerm(), Long.toUnsignedString(m.getFrom()),
                Long.toUnsignedString(m.getTo()), entries, logTerm, index, m.getCommit(),
                Long.toUnsignedString(m.getVote()), m.getReject(), m.getRejectHint());
    }

    private static List<String> formatConf(long[] ids) {
        List<String> formatted = new ArrayList<>(ids.length);
        for (long id : ids) {
            formatted.add(Long.toUnsignedString(id));
        }
        return List.copyOf(formatted);
    }
}
