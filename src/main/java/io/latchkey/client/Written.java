package io.latchkey.client;

/** The result of a put (the key's new mod revision and version) or a delete (version 0). */
public record Written(String key, long revision, long version) {
}
