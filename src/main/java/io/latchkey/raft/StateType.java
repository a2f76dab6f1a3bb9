package io.latchkey.raft;

/** The role of a node. Constant names are printed as etcd prints them. */
public enum StateType {
    StateFollower,
    StateCandidate,
    StateLeader,
    StatePreCandidate
}
