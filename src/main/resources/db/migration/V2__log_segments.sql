-- The log in segments: one row holds a run of consecutive entries (usually one Ready's), so
-- that appending a Ready costs one heap tuple and one index entry instead of one per entry,
-- which dominated the cost of a durable write.
--
-- entries is the run's entries in index order, each as a 4-byte big-endian length followed
-- by the protobuf encoding of the Entry. Segments are disjoint and, after the log's origin,
-- leave no gap; the first may start at or below the origin (entries a compaction covers are
-- ignored on read).
CREATE TABLE log_segment (
    first_idx bigint PRIMARY KEY,
    last_idx  bigint NOT NULL CHECK (last_idx >= first_idx),
    entries   bytea  NOT NULL
);

-- Stored uncompressed: durable writes are bound by the server's CPU, and pglz would run on
-- every Ready.
ALTER TABLE log_segment ALTER COLUMN entries SET STORAGE EXTERNAL;

INSERT INTO log_segment(first_idx, last_idx, entries)
SELECT idx, idx, int4send(length(entry)) || entry FROM log_entry;

DROP TABLE log_entry;
