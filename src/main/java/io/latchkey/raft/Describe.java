package io.latchkey.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.latchkey.raft.raftpb.ConfChange;
import io.latchkey.raft.raftpb.ConfChangeSingle;
import io.latchkey.raft.raftpb.ConfChangeV2;
import io.latchkey.raft.raftpb.ConfChanges;
import io.latchkey.raft.raftpb.ConfState;
import io.latchkey.raft.raftpb.Entry;
import io.latchkey.raft.raftpb.HardState;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.MessageType;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.util.List;
import java.util.function.Function;

/**
 * Human-readable forms of the core's types (etcd-io/raft {@code util.go}). The texts are
 * compared byte for byte by the conformance suite, so they follow etcd's exactly, including
 * Go's {@code %q} quoting of entry data.
 */
public final class Describe {
    /** Formats entry payloads; {@link #DEFAULT_FORMATTER} quotes them like Go's {@code %q}. */
    public interface EntryFormatter extends Function<ByteString, String> {
    }

    public static final EntryFormatter DEFAULT_FORMATTER = Describe::quote;

    private Describe() {
    }

    public static boolean isLocalMsg(MessageType type) {
        return switch (type) {
            case MsgHup, MsgBeat, MsgUnreachable, MsgSnapStatus, MsgCheckQuorum, MsgStorageAppend,
                    MsgStorageAppendResp, MsgStorageApply, MsgStorageApplyResp -> true;
            default -> false;
        };
    }

    public static boolean isResponseMsg(MessageType type) {
        return switch (type) {
            case MsgAppResp, MsgVoteResp, MsgHeartbeatResp, MsgUnreachable, MsgReadIndexResp, MsgPreVoteResp,
                    MsgStorageAppendResp, MsgStorageApplyResp -> true;
            default -> false;
        };
    }

    /** Whether {@code id} names one of the local storage threads rather than a peer. */
    public static boolean isLocalMsgTarget(long id) {
        return id == Raft.LOCAL_APPEND_THREAD || id == Raft.LOCAL_APPLY_THREAD;
    }

    static MessageType voteRespMsgType(MessageType type) {
        return switch (type) {
            case MsgVote -> MessageType.MsgVoteResp;
            case MsgPreVote -> MessageType.MsgPreVoteResp;
            default -> throw new IllegalArgumentException("not a vote message: " + type);
        };
    }

    public static String describeHardState(HardState hs) {
        StringBuilder out = new StringBuilder("Term:").append(hs.getTerm());
        if (hs.getVote() != 0) {
            out.append(" Vote:").append(hs.getVote());
        }
        return out.append(" Commit:").append(hs.getCommit()).toString();
    }

    public static String describeSoftState(SoftState ss) {
        return "Lead:" + ss.lead() + " State:" + ss.raftState();
    }

    public static String describeConfState(ConfState state) {
        return "Voters:" + goList(state.getVotersList())
                + " VotersOutgoing:" + goList(state.getVotersOutgoingList())
                + " Learners:" + goList(state.getLearnersList())
                + " LearnersNext:" + goList(state.getLearnersNextList())
                + " AutoLeave:" + state.getAutoLeave();
    }

    public static String describeSnapshot(Snapshot snap) {
        SnapshotMetadata m = snap.getMetadata();
        return "Index:" + m.getIndex() + " Term:" + m.getTerm() + " ConfState:" + describeConfState(m.getConfState());
    }

    public static String describeReady(Ready rd, EntryFormatter f) {
        StringBuilder out = new StringBuilder();
        if (rd.softState() != null) {
            out.append(describeSoftState(rd.softState())).append('\n');
        }
        if (!Ready.isEmptyHardState(rd.hardState())) {
            out.append("HardState ").append(describeHardState(rd.hardState())).append('\n');
        }
        if (!rd.readStates().isEmpty()) {
            out.append("ReadStates ").append(goList(rd.readStates())).append('\n');
        }
        if (!rd.entries().isEmpty()) {
            out.append("Entries:\n").append(describeEntries(rd.entries(), f));
        }
        if (!Ready.isEmptySnap(rd.snapshot())) {
            out.append("Snapshot ").append(describeSnapshot(rd.snapshot())).append('\n');
        }
        if (!rd.committedEntries().isEmpty()) {
            out.append("CommittedEntries:\n").append(describeEntries(rd.committedEntries(), f));
        }
        if (!rd.messages().isEmpty()) {
            out.append("Messages:\n");
            for (Message m : rd.messages()) {
                out.append(describeMessage(m, f)).append('\n');
            }
        }
        if (out.isEmpty()) {
            return "<empty Ready>";
        }
        return "Ready MustSync=" + rd.mustSync() + ":\n" + out;
    }

    public static String describeMessage(Message m, EntryFormatter f) {
        return describeMessage("", m, f);
    }

    private static String describeMessage(String indent, Message m, EntryFormatter f) {
        StringBuilder out = new StringBuilder(indent)
                .append(describeTarget(m.getFrom())).append("->").append(describeTarget(m.getTo()))
                .append(' ').append(m.getType())
                .append(" Term:").append(m.getTerm())
                .append(" Log:").append(m.getLogTerm()).append('/').append(m.getIndex());
        if (m.getReject()) {
            out.append(" Rejected (Hint: ").append(m.getRejectHint()).append(')');
        }
        if (m.getCommit() != 0) {
            out.append(" Commit:").append(m.getCommit());
        }
        if (m.getVote() != 0) {
            out.append(" Vote:").append(m.getVote());
        }
        List<Entry> entries = m.getEntriesList();
        if (entries.size() == 1) {
            out.append(" Entries:[").append(describeEntry(entries.get(0), f)).append(']');
        } else if (entries.size() > 1) {
            out.append(" Entries:[");
            for (Entry e : entries) {
                out.append('\n').append(indent).append("  ").append(describeEntry(e, f));
            }
            out.append('\n').append(indent).append(']');
        }
        if (m.hasSnapshot() && !Ready.isEmptySnap(m.getSnapshot())) {
            out.append('\n').append(indent).append("  Snapshot: ").append(describeSnapshot(m.getSnapshot()));
        }
        if (m.getResponsesCount() > 0) {
            out.append(" Responses:[");
            for (Message r : m.getResponsesList()) {
                out.append('\n').append(describeMessage(indent + "  ", r, f));
            }
            out.append('\n').append(indent).append(']');
        }
        return out.toString();
    }

    static String describeTarget(long id) {
        if (id == Raft.NONE) {
            return "None";
        } else if (id == Raft.LOCAL_APPEND_THREAD) {
            return "AppendThread";
        } else if (id == Raft.LOCAL_APPLY_THREAD) {
            return "ApplyThread";
        }
        return Long.toHexString(id);
    }

    public static String describeEntry(Entry e, EntryFormatter f) {
        if (f == null) {
            f = DEFAULT_FORMATTER;
        }
        String formatted = switch (e.getType()) {
            case EntryNormal -> f.apply(e.getData());
            case EntryConfChange -> {
                try {
                    yield ConfChanges.toString(ConfChanges.asV2(ConfChange.parseFrom(e.getData())).getChangesList());
                } catch (InvalidProtocolBufferException ex) {
                    yield ex.getMessage();
                }
            }
            case EntryConfChangeV2 -> {
                try {
                    yield ConfChanges.toString(ConfChangeV2.parseFrom(e.getData()).getChangesList());
                } catch (InvalidProtocolBufferException ex) {
                    yield ex.getMessage();
                }
            }
        };
        if (!formatted.isEmpty()) {
            formatted = " " + formatted;
        }
        return e.getTerm() + "/" + e.getIndex() + " " + e.getType() + formatted;
    }

    /**
     * A deterministic one-line form of a conf change (etcd's DescribeConfChange), e.g.
     * {@code transition:ConfChangeTransitionAuto changes:{type:ConfChangeAddNode node_id:2}}.
     */
    public static String describeConfChange(ConfChangeV2 cc) {
        StringBuilder out = new StringBuilder("transition:").append(cc.getTransition());
        for (ConfChangeSingle c : cc.getChangesList()) {
            out.append(" changes:{type:").append(c.getType()).append(" node_id:").append(c.getNodeId()).append('}');
        }
        if (!cc.getContext().isEmpty()) {
            out.append(" context:").append(quote(cc.getContext()));
        }
        return out.toString();
    }

    public static String describeEntries(List<Entry> entries, EntryFormatter f) {
        StringBuilder out = new StringBuilder();
        for (Entry e : entries) {
            out.append(describeEntry(e, f)).append('\n');
        }
        return out.toString();
    }

    /** Go's {@code %v} of a slice: {@code [a b c]}. */
    public static String goList(List<?> values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(values.get(i));
        }
        return out.append(']').toString();
    }

    /** Go's {@code %q} of a byte slice: a double-quoted string with Go escapes. */
    public static String quote(ByteString data) {
        StringBuilder out = new StringBuilder(data.size() + 2).append('"');
        byte[] bytes = data.toByteArray();
        int i = 0;
        while (i < bytes.length) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                appendRune(out, b);
                i++;
                continue;
            }
            int width = utf8Width(bytes, i);
            if (width == 0) {
                out.append(String.format("\\x%02x", b));
                i++;
                continue;
            }
            int rune = new String(bytes, i, width, java.nio.charset.StandardCharsets.UTF_8).codePointAt(0);
            appendRune(out, rune);
            i += width;
        }
        return out.append('"').toString();
    }

    private static void appendRune(StringBuilder out, int r) {
        switch (r) {
            case '"' -> out.append("\\\"");
            case '\\' -> out.append("\\\\");
            case 0x07 -> out.append("\\a");
            case '\b' -> out.append("\\b");
            case '\f' -> out.append("\\f");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case 0x0b -> out.append("\\v");
            default -> {
                if (isGoPrintable(r)) {
                    out.appendCodePoint(r);
                } else if (r < ' ' || r == 0x7f) {
                    out.append(String.format("\\x%02x", r));
                } else if (r < 0x10000) {
                    out.append(String.format("\\u%04x", r));
                } else {
                    out.append(String.format("\\U%08x", r));
                }
            }
        }
    }

    private static boolean isGoPrintable(int r) {
        if (r < 0x80) {
            return r >= 0x20 && r < 0x7f;
        }
        int type = Character.getType(r);
        return type != Character.UNASSIGNED && type != Character.CONTROL && type != Character.FORMAT
                && type != Character.SURROGATE && type != Character.PRIVATE_USE
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR
                && type != Character.SPACE_SEPARATOR;
    }

    /** Length of the valid UTF-8 sequence at {@code i}, or 0 if the bytes there are not one. */
    private static int utf8Width(byte[] bytes, int i) {
        int b = bytes[i] & 0xff;
        int width;
        int min;
        if (b >= 0xc2 && b <= 0xdf) {
            width = 2;
            min = 0x80;
        } else if (b >= 0xe0 && b <= 0xef) {
            width = 3;
            min = 0x800;
        } else if (b >= 0xf0 && b <= 0xf4) {
            width = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + width > bytes.length) {
            return 0;
        }
        int cp = b & (0x7f >> width);
        for (int k = 1; k < width; k++) {
            int c = bytes[i + k] & 0xff;
            if ((c & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (c & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        return width;
    }
}
