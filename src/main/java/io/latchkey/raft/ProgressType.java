package io.latchkey.raft;

/** Whether a progress entry visited by {@link RawNode#withProgress} belongs to a voter or a learner. */
public enum ProgressType {
    ProgressTypePeer,
    ProgressTypeLearner
}
