-- A CRC-32C of each log segment's entries, written in the same statement as the row and checked
-- whenever the row is read (io.latchkey.storage.LogTables): damage to a stored entry (a bad disk,
-- a bad restore, a hand edit) stops the node with a message naming the segment, instead of
-- being applied or sent to a follower. One checksum per row rather than per entry: a row is
-- the unit that is written and read (one Ready's run of entries), so checking the row checks
-- exactly what is read, and a per-entry checksum would add bytes to every entry of the WAL.
--
-- The migration's Java step (io.latchkey.storage.SegmentChecksums) fills in the checksum of
-- every existing row after checking that it decodes, then makes the column NOT NULL.
ALTER TABLE log_segment ADD COLUMN crc32c integer;
