-- When each knowledge row was last added or changed, so the weekly report and the admin page do
-- not propose retiring an entry an admin approved yesterday (it had no week to be used). Rows
-- from before this migration keep '' (an unknown time: judged like any other).

ALTER TABLE knowledge_rows ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
