package io.latchkey.raft.raftpb;

import com.google.protobuf.ByteString;

import java.util.ArrayList;
import java.util.List;

/** Helpers for configuration-change messages (etcd's raftpb/confchange.go). */
public final class ConfChanges {
    private ConfChanges() {
    }

    /** A conf change as log entry payload: the entry type to use and the encoded bytes. */
    public record Marshaled(EntryType type, ByteString data) {
    }

    /**
     * Encodes {@code c} for a log entry. A null change becomes an empty
     * {@link EntryType#EntryConfChangeV2} payload: it decodes to the empty ConfChangeV2 (leave
     * joint) and, having size zero, is never refused by proposal size limits.
     */
    public static Marshaled marshal(ConfChangeI c) {
        if (c == null) {
            return new Marshaled(EntryType.EntryConfChangeV2, ByteString.EMPTY);
        }
        ConfChange v1 = c.asV1();
        if (v1 != null) {
            return new Marshaled(EntryType.EntryConfChange, v1.toByteString());
        }
        return new Marshaled(EntryType.EntryConfChangeV2, c.asV2().toByteString());
    }

    /** The V2 change doing what the legacy {@code cc} does. */
    public static ConfChangeV2 asV2(ConfChange cc) {
        ConfChangeV2.Builder v2 = ConfChangeV2.newBuilder()
                .addChanges(ConfChangeSingle.newBuilder().setType(cc.getType()).setNodeId(cc.getNodeId()));
        if (cc.hasContext()) {
            v2.setContext(cc.getContext());
        }
        return v2.build();
    }

    /**
     * Whether {@code cc} goes through joint consensus: when it changes more than one node or
     * asks for a joint transition explicitly. (Some multi-node changes could be done simply,
     * depending on the config they apply to; etcd keeps the rule simple instead.)
     */
    public static boolean enterJoint(ConfChangeV2 cc) {
        return cc.getTransition() != ConfChangeTransition.ConfChangeTransitionAuto || cc.getChangesCount() > 1;
    }

    /**
     * Whether the joint state entered by {@code cc} is to be left automatically; false when
     * {@code cc} does not {@link #enterJoint enter} one.
     */
    public static boolean autoLeave(ConfChangeV2 cc) {
        if (!enterJoint(cc)) {
            return false;
        }
        return switch (cc.getTransition()) {
            case ConfChangeTransitionAuto, ConfChangeTransitionJointImplicit -> true;
            case ConfChangeTransitionJointExplicit -> false;
        };
    }

    /** Whether {@code cc} leaves a joint state: the empty V2 change, context aside. */
    public static boolean leaveJoint(ConfChangeV2 cc) {
        return cc.getTransition() == ConfChangeTransition.ConfChangeTransitionAuto && cc.getChangesCount() == 0;
    }

    /**
     * Parses space-separated operations: "vN" makes N a voter, "lN" a learner, "rN" removes
     * it and "uN" updates it. Malformed input throws {@link IllegalArgumentException} with
     * etcd's error text.
     */
    public static List<ConfChangeSingle> fromString(String s) {
        List<ConfChangeSingle> ccs = new ArrayList<>();
        String trimmed = s.strip();
        if (trimmed.isEmpty()) {
            return ccs;
        }
        for (String tok : trimmed.split(" ", -1)) {
            if (tok.length() < 2) {
                throw new IllegalArgumentException("unknown token " + tok);
            }
            ConfChangeType type = switch (tok.charAt(0)) {
                case 'v' -> ConfChangeType.ConfChangeAddNode;
                case 'l' -> ConfChangeType.ConfChangeAddLearnerNode;
                case 'r' -> ConfChangeType.ConfChangeRemoveNode;
                case 'u' -> ConfChangeType.ConfChangeUpdateNode;
                default -> throw new IllegalArgumentException("unknown input: " + tok);
            };
            ccs.add(ConfChangeSingle.newBuilder().setType(type).setNodeId(parseUint64(tok.substring(1))).build());
        }
        return ccs;
    }

    /** Go's strconv.ParseUint(s, 10, 64), with its error texts. */
    private static long parseUint64(String s) {
        boolean digits = !s.isEmpty();
        for (int i = 0; i < s.length() && digits; i++) {
            digits = s.charAt(i) >= '0' && s.charAt(i) <= '9';
        }
        if (!digits) {
            throw new IllegalArgumentException("strconv.ParseUint: parsing \"" + s + "\": invalid syntax");
        }
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("strconv.ParseUint: parsing \"" + s + "\": value out of range");
        }
    }

    /** The inverse of {@link #fromString}. */
    public static String toString(List<ConfChangeSingle> ccs) {
        StringBuilder buf = new StringBuilder();
        for (int i = 0; i < ccs.size(); i++) {
            ConfChangeSingle cc = ccs.get(i);
            if (i > 0) {
                buf.append(' ');
            }
            buf.append(switch (cc.getType()) {
                case ConfChangeAddNode -> "v";
                case ConfChangeAddLearnerNode -> "l";
                case ConfChangeRemoveNode -> "r";
                case ConfChangeUpdateNode -> "u";
            });
            buf.append(Long.toUnsignedString(cc.getNodeId()));
        }
        return buf.toString();
    }
}
