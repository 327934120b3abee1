-- The job that took over a job cut short (a shutdown cancelled its build, or its process was
-- killed and its lease ran out): the next job of the same shop, which read the knowledge after the
-- cut job's change and so serves it. An admin polling the old job (`GET /v1/admin/jobs/{id}`,
-- `huashu admin ... --wait`) follows it there. '' for every other job, and for rows from before
-- this migration.

ALTER TABLE jobs ADD COLUMN resumed_as TEXT NOT NULL DEFAULT '';
