package io.latchkey.client;

/**
 * Receives a watch's events, one at a time and in revision order, on the watch's thread.
 * {@link #onError} ends the watch: the history it needed is gone (410: read the keys and watch
 * again from their revision), or the cluster refused the watch (400, 401, 403).
 */
public interface WatchListener {
    void onEvent(WatchEvent event);

    default void onError(LatchkeyException error) {
    }
}
