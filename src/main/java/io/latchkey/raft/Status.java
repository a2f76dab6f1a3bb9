package io.latchkey.raft;

import io.latchkey.raft.tracker.Progress;
import io.latchkey.raft.tracker.TrackerConfig;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's state with its configuration and, on the leader, a copy of every follower's
 * progress.
 *
 * @param progress by node id; empty unless the node leads
 */
public record Status(BasicStatus basic, TrackerConfig config, Map<Long, Progress> progress) {
    static Status of(Raft r) {
        BasicStatus basic = BasicStatus.of(r);
        Map<Long, Progress> progress = new TreeMap<>();
        if (basic.softState().raftState() == StateType.StateLeader) {
            r.trk.visit((id, pr) -> progress.put(id, pr.copyWithInflights()));
        }
        return new Status(basic, r.trk.config().copy(), Collections.unmodifiableMap(progress));
    }

    /** The JSON form etcd's Status marshals to. */
    @Override
    public String toString() {
        StringBuilder j = new StringBuilder(String.format("{\"id\":\"%x\",\"term\":%d,\"vote\":\"%x\",\"commit\":%d,\"lead\":\"%x\",\"raftState\":\"%s\",\"applied\":%d,\"progress\":{",
                basic.id(), basic.hardState().getTerm(), basic.hardState().getVote(), basic.hardState().getCommit(),
                basic.softState().lead(), basic.softState().raftState(), basic.applied()));
        String separator = "";
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            j.append(separator).append(String.format("\"%x\":{\"match\":%d,\"next\":%d,\"state\":\"%s\"}",
                    e.getKey(), pr.match(), pr.next(), pr.state()));
            separator = ",";
        }
        j.append(String.format("},\"leadtransferee\":\"%x\"}", basic.leadTransferee()));
        return j.toString();
    }
}
