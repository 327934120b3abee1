-- The knowledge revision a job read when it started building, so a build that failed on its
-- knowledge is not started again by itself until that knowledge changes (a shop created beside a
-- running service is built by the service's poll; a broken one must not be built every poll).
-- Rows from before this migration keep '' (unknown: never started again by themselves).

ALTER TABLE jobs ADD COLUMN knowledge_revision TEXT NOT NULL DEFAULT '';
