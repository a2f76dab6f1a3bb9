package io.latchkey.raft;

import io.latchkey.raft.raftpb.HardState;

/** A node's state without the per-follower progress, cheap to take. */
public record BasicStatus(long id, HardState hardState, SoftState softState, long applied, long leadTransferee) {
    static BasicStatus of(Raft r) {
        return new BasicStatus(r.id, r.hardState(), r.softState(), r.raftLog.applied, r.leadTransferee);
    }
}
