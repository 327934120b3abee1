DROP TABLE reply_outcomes;
ALTER TABLE suggestions DROP COLUMN text;
