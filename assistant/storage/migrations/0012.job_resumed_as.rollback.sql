ALTER TABLE jobs DROP COLUMN resumed_as;
