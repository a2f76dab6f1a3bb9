package io.latchkey.storage;

import java.util.zip.CRC32C;

/** The CRC-32C stored next to log segments and snapshot chunks (hardware-accelerated in the JDK). */
final class Checksums {
    private Checksums() {
    }

    static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }
}
