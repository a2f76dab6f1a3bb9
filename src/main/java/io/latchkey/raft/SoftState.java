package io.latchkey.raft;

/** Volatile state worth telling the application about; it is never persisted. */
public record SoftState(long lead, StateType raftState) {
}
