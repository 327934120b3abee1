ALTER TABLE jobs DROP COLUMN knowledge_revision;
