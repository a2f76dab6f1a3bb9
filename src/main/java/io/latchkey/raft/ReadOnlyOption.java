package io.latchkey.raft;

/** How the leader makes sure it is still the leader before answering a ReadIndex request. */
public enum ReadOnlyOption {
    /** Confirms leadership with a round of heartbeats to a quorum. */
    ReadOnlySafe,
    /** Trusts the leader lease; correctness depends on bounded clock drift (needs CheckQuorum). */
    ReadOnlyLeaseBased
}
