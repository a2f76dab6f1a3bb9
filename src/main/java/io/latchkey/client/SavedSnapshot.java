package io.latchkey.client;

import java.nio.file.Path;

/**
 * A backup saved to a file by {@link LatchkeyClient#saveSnapshot}, checked against the SHA-256
 * the member sent with it. Restore it with {@code java -jar latchkey.jar restore FILE --data-dir DIR}.
 *
 * @param file      where it was saved
 * @param revision  the revision of the state it holds
 * @param sha256    SHA-256 of the file, lowercase hex (as {@code sha256sum} prints it)
 * @param sizeBytes the file's size
 */
public record SavedSnapshot(Path file, long revision, String sha256, long sizeBytes) {
}
