ALTER TABLE answers DROP COLUMN cue_details;
ALTER TABLE suggestions DROP COLUMN tags;
ALTER TABLE suggestions DROP COLUMN matched;
