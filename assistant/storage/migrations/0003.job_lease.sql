-- A job names the process that runs it (`owner`) and when that process last said it is alive
-- (`heartbeat_at`, ISO 8601 UTC). A queued or running job whose owner stopped beating for
-- longer than the lease (the process was killed mid-build) is failed by any replica, so a
-- killed build never stays `running` for ever. Rows from before this migration have no
-- heartbeat: an unfinished one among them is failed by the first sweep.

ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT NOT NULL DEFAULT '';

CREATE INDEX jobs_unfinished ON jobs (state, heartbeat_at);
