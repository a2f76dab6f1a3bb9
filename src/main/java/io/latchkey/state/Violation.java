package io.latchkey.state;

/**
 * Why a request was refused: the request field at fault (as named in state.proto, e.g.
 * {@code ttl_seconds}) and a sentence for a human. The REST layer turns it into problem+json.
 */
public record Violation(String field, String message) {
}
