-- A token's label (`huashu admin tokens create SHOP --name "前台小王"`, the admin API's `name`), so
-- a shop's admin can tell its tokens apart when listing or revoking them. Tokens from before
-- this migration have none ('').

ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
