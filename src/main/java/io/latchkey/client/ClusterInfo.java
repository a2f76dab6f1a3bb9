package io.latchkey.client;

import java.util.List;

/** The cluster as one member sees it; {@code leaderId} is null while it knows no leader. */
public record ClusterInfo(String clusterId, String nodeId, String leaderId, long term, long commitIndex,
                          long appliedIndex, List<Member> members) {
}
