package io.latchkey.raft;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One traced state-machine event, in the shape of etcd-io/raft's {@code TracingEvent}
 * ({@code state_trace.go}) so that {@link #toJson()} gives the JSON etcd's TLA+ trace
 * validation reads. Ids are decimal strings and numbers unsigned, as in Go.
 *
 * @param name the event, e.g. {@code BecomeLeader} or {@code SendAppendEntriesRequest}
 * @param nodeId the node that traced it ({@code nid})
 * @param state its hard state at the time
 * @param role its {@link StateType} name
 * @param logSize its last log index ({@code log})
 * @param conf its voters, incoming then outgoing
 * @param message the message sent or received, or null
 * @param properties extra fields ({@code prop}): {@code match}/{@code next} of a MsgApp
 *     (Long), {@code cc} of a conf change ({@link TracingConfChange}); null if none
 */
public record TracingEvent(String name, String nodeId, TracingState state, String role, long logSize,
                           List<List<String>> conf, TracingMessage message, Map<String, Object> properties) {

    /** @param vote the decimal id voted for, "0" for none */
    public record TracingState(long term, String vote, long commit) {
    }

    /** A message as the trace sees it; a MsgSnap carries its snapshot index in {@code entries}. */
    public record TracingMessage(String type, long term, String from, String to, int entries, long logTerm,
                                 long index, long commit, String vote, boolean reject, long rejectHint) {
    }

    /** @param action AddNewServer, RemoveServer or AddLearner */
    public record SingleConfChange(String nodeId, String action) {
    }

    /** A proposed change ({@code changes}) or an applied configuration ({@code newconf}). */
    public record TracingConfChange(List<SingleConfChange> changes, List<String> newConf) {
    }

    /**
     * The event as etcd's {@code encoding/json} writes it: fields in declaration order, empty
     * {@code msg}, {@code prop}, {@code changes} and {@code newconf} left out, map keys sorted.
     * Every string is a decimal id or a fixed name, so none needs escaping.
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"name\":\"").append(name).append("\",\"nid\":\"").append(nodeId)
                .append("\",\"state\":{\"term\":").append(Long.toUnsignedString(state.term()))
                .append(",\"vote\":\"").append(state.vote())
                .append("\",\"commit\":").append(Long.toUnsignedString(state.commit()))
                .append("},\"role\":\"").append(role)
                .append("\",\"log\":").append(Long.toUnsignedString(logSize))
                .append(",\"conf\":[");
        appendStrings(b, conf.get(0));
        b.append(',');
        appendStrings(b, conf.get(1));
        b.append(']');
        if (message != null) {
            TracingMessage m = message;
            b.append(",\"msg\":{\"type\":\"").append(m.type())
                    .append("\",\"term\":").append(Long.toUnsignedString(m.term()))
                    .append(",\"from\":\"").append(m.from())
                    .append("\",\"to\":\"").append(m.to())
                    .append("\",\"entries\":").append(m.entries())
                    .append(",\"logTerm\":").append(Long.toUnsignedString(m.logTerm()))
                    .append(",\"index\":").append(Long.toUnsignedString(m.index()))
                    .append(",\"commit\":").append(Long.toUnsignedString(m.commit()))
                    .append(",\"vote\":\"").append(m.vote())
                    .append("\",\"reject\":").append(m.reject())
                    .append(",\"rejectHint\":").append(Long.toUnsignedString(m.rejectHint()))
                    .append('}');
        }
        if (properties != null && !properties.isEmpty()) {
            b.append(",\"prop\":{");
            String separator = "";
            for (Map.Entry<String, Object> p : new TreeMap<>(properties).entrySet()) {
                b.append(separator).append('"').append(p.getKey()).append("\":");
                appendValue(b, p.getValue());
                separator = ",";
            }
            b.append('}');
        }
        return b.append('}').toString();
    }

    private static void appendValue(StringBuilder b, Object value) {
        switch (value) {
            case Long l -> b.append(Long.toUnsignedString(l));
            case TracingConfChange cc -> appendConfChange(b, cc);
            default -> throw new IllegalArgumentException("no JSON form for trace property " + value.getClass());
        }
    }

    private static void appendConfChange(StringBuilder b, TracingConfChange cc) {
        b.append('{');
        boolean hasChanges = !cc.changes().isEmpty();
        if (hasChanges) {
            b.append("\"changes\":[");
            String separator = "";
            for (SingleConfChange c : cc.changes()) {
                b.append(separator).append("{\"nid\":\"").append(c.nodeId())
                        .append("\",\"action\":\"").append(c.action()).append("\"}");
                separator = ",";
            }
            b.append(']');
        }
        if (!cc.newConf().isEmpty()) {
            if (hasChanges) {
                b.append(',');
            }
            b.append("\"newconf\":");
            appendStrings(b, cc.newConf());
        }
        b.append('}');
    }

    private static void appendStrings(StringBuilder b, List<String> values) {
        b.append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('"').append(values.get(i)).append('"');
        }
        b.append(']');
    }
}
