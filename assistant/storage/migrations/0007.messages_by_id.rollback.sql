DROP INDEX messages_by_id;
