package io.latchkey.raft.raftpb;

/**
 * Either kind of configuration change, so that code can take both the legacy
 * {@link ConfChange} and {@link ConfChangeV2} (etcd's {@code raftpb.ConfChangeI}). Generated
 * protobuf classes cannot implement an interface, hence the two wrapping records.
 */
public sealed interface ConfChangeI permits ConfChangeI.V1, ConfChangeI.V2 {
    static ConfChangeI of(ConfChange cc) {
        return new V1(cc);
    }

    static ConfChangeI of(ConfChangeV2 cc) {
        return new V2(cc);
    }

    /** The change as a {@link ConfChangeV2}; never null. */
    ConfChangeV2 asV2();

    /** The legacy change, or null when this wraps a {@link ConfChangeV2}. */
    ConfChange asV1();

    /** A legacy single-node change. */
    record V1(ConfChange cc) implements ConfChangeI {
        @Override
        public ConfChangeV2 asV2() {
            return ConfChanges.asV2(cc);
        }

        @Override
        public ConfChange asV1() {
            return cc;
        }
    }

    /** A change of any number of nodes, possibly through joint consensus. */
    record V2(ConfChangeV2 cc) implements ConfChangeI {
        @Override
        public ConfChangeV2 asV2() {
            return cc;
        }

        @Override
        public ConfChange asV1() {
            return null;
        }
    }
}
