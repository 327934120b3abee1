-- How many knowledge rows a job read when it started building: the builds of one process embed
-- one batch at a time, the smaller build first (`assistant/suggest/turns.py`), and a job's
-- `waiting_behind` names the builds that go before it. Rows from before this migration keep 0.

ALTER TABLE jobs ADD COLUMN rows INTEGER NOT NULL DEFAULT 0;
