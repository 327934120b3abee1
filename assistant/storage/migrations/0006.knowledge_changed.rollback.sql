ALTER TABLE knowledge_rows DROP COLUMN changed_at;
