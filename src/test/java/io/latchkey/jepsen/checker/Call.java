package io.latchkey.jepsen.checker;

import java.util.Objects;

/**
 * What a client asked the service to do: one record per API operation, carrying exactly the
 * inputs the models need. Config keys and lock names live in separate name spaces, so each call
 * names which one it touches.
 */
public sealed interface Call {

    /** Linearizable read of a config key; answered by {@link Result.ValueAt}. */
    record Read(String key) implements Call {
        public Read {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Serializable read: any replica may answer from its applied state, so the answer may be stale.
     * Not subject to linearizability; see {@link SerializableReadChecker}.
     */
    record SerializableRead(String key) implements Call {
        public SerializableRead {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Unconditional PUT; answered by the new {@link Result.Revision}. */
    record Write(String key, String value) implements Call {
        public Write {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * PUT with expectedRevision: applies only if the key's modRevision equals it (0: only if the key
     * does not exist). Answered by the new {@link Result.Revision} or {@link Result.Rejected} (412).
     */
    record Cas(String key, long expectedRevision, String value) implements Call {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (expectedRevision < 0) {
                throw new IllegalArgumentException("expectedRevision must be >= 0: " + expectedRevision);
            }
        }
    }

    /** DELETE; answered by the delete's {@link Result.Revision} or {@link Result.Rejected} (404: absent). */
    record Delete(String key) implements Call {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Lock acquire; a grant is answered by {@link Result.Revision} whose revision is the fencing token. */
    record Acquire(String lock) implements Call {
        public Acquire {
            Objects.requireNonNull(lock, "lock");
        }
    }

    /** Lock release by token; answered by {@link Result.Done} or {@link Result.Rejected} (409: not the holder). */
    record Release(String lock, long token) implements Call {
        public Release {
            Objects.requireNonNull(lock, "lock");
        }
    }

    /**
     * Config write guarded by a lock: applies only while {@code token} is the lock's current holder.
     * Answered by the write's {@link Result.Revision} or {@link Result.Rejected} (412: stale token).
     */
    record FencedWrite(String key, String value, String lock, long token) implements Call {
        public FencedWrite {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(lock, "lock");
        }
    }
}
