package io.latchkey.server;

import java.util.Arrays;

/**
 * The entry point of latchkey.jar: {@code restore FILE --data-dir DIR} restores a backup
 * ({@link Restore}); anything else starts the node (Helidon's {@code io.helidon.Main}).
 */
public final class LatchkeyMain {
    private LatchkeyMain() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("restore")) {
            Restore.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        io.helidon.Main.main(args);
    }
}
