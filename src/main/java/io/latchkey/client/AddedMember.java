package io.latchkey.client;

/** A member added as a learner: start it with these node and cluster ids, then promote it. */
public record AddedMember(String id, String clusterId) {
}
