package io.latchkey.raft;

/** What the application reports after trying to send a snapshot to a follower. */
public enum SnapshotStatus {
    SnapshotFinish,
    SnapshotFailure
}
