package io.latchkey.client;

/** A cluster member; ids are hexadecimal, {@code role} is {@code voter} or {@code learner}. */
public record Member(String id, String name, String peerUrl, String clientUrl, String role) {
}
