package io.latchkey.raft.confchange;

/**
 * A configuration change was refused; the active configuration is unchanged. The message is
 * etcd's error text. Checked because, as in etcd, refusing a change is an expected outcome the
 * caller must decide about.
 */
public final class ConfChangeException extends Exception {
    public ConfChangeException(String message) {
        super(message);
    }
}
