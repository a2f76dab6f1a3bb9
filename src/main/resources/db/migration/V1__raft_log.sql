-- Raft storage of one node. Every table lives in the node's own schema (latchkey.storage.schema),
-- so several nodes can share one database. Raft's uint64 indexes, terms and node IDs are stored
-- as bigint bit patterns: Java reads them back as the same long.

-- Who this schema belongs to. Written once: a node started with other IDs refuses to run.
CREATE TABLE node_identity (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    node_id    bigint  NOT NULL,
    cluster_id bigint  NOT NULL
);

-- The last HardState a Ready carried.
CREATE TABLE hard_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    term         bigint  NOT NULL,
    vote         bigint  NOT NULL,
    commit_index bigint  NOT NULL
);

-- The position just before the first stored entry (MemoryStorage's dummy entry): the snapshot
-- or compaction point. Its term is kept for log matching after the entry itself is gone.
CREATE TABLE log_origin (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    idx       bigint  NOT NULL,
    term      bigint  NOT NULL
);

-- The log after the origin, contiguous. entry is the protobuf encoding of the whole Entry:
-- term is repeated so that term lookups need not decode it.
CREATE TABLE log_entry (
    idx   bigint PRIMARY KEY,
    term  bigint NOT NULL,
    entry bytea  NOT NULL
);

-- The latest snapshot's metadata. Its data is split over snapshot_chunk rows so that neither
-- writing nor reading it needs the whole snapshot in memory.
CREATE TABLE snapshot (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    idx             bigint  NOT NULL,
    term            bigint  NOT NULL,
    conf_state      bytea   NOT NULL,
    data_size_bytes bigint  NOT NULL,
    chunk_count     integer NOT NULL
);

CREATE TABLE snapshot_chunk (
    snapshot_idx bigint  NOT NULL,
    seq          integer NOT NULL,
    data         bytea   NOT NULL,
    PRIMARY KEY (snapshot_idx, seq)
);
