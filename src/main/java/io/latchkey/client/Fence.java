package io.latchkey.client;

/**
 * A fence for a write: the write is applied only while {@code token} is the current grant of the
 * lock {@code lock} (412 otherwise), so a holder that lost its lock without knowing it (a long
 * pause, an expired lease) cannot overwrite its successor's work.
 */
public record Fence(String lock, long token) {
}
