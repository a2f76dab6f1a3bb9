package io.latchkey.client;

/**
 * A backup of the cluster's state ({@code GET /v1/maintenance/snapshot}), checked against the
 * SHA-256 the member sent with it. Restore it with {@code java -jar latchkey.jar restore FILE
 * --data-dir DIR}.
 *
 * @param revision the revision of the state it holds
 * @param sha256   SHA-256 of {@code bytes}, lowercase hex (as {@code sha256sum} prints it)
 * @param bytes    the backup file's content
 */
public record Snapshot(long revision, String sha256, byte[] bytes) {
}
