package io.latchkey.raft.confchange;

import io.latchkey.raft.tracker.ProgressMap;
import io.latchkey.raft.tracker.TrackerConfig;

/**
 * The configuration and progress map a successful change produces. Both are fresh objects;
 * the caller installs them in its tracker to make the change take effect. The
 * {@link io.latchkey.raft.tracker.Inflights} of peers that stayed are shared with the
 * tracker the change started from.
 */
public record ChangeResult(TrackerConfig config, ProgressMap progress) {
}
