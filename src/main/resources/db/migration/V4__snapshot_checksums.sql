-- A CRC-32C of each snapshot chunk's data, written with the chunk and checked whenever it is
-- read (io.latchkey.storage.LogTables): damage to stored snapshot data (a bad disk, a bad
-- restore, a hand edit) is reported as such instead of being installed into the state machine
-- or sent to a follower. Chunks written before this version have none and are read unchecked.
ALTER TABLE snapshot_chunk ADD COLUMN crc32c integer;
