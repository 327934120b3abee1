DROP TABLE feedback;
DROP TABLE suggestions;
DROP TABLE messages;
DROP TABLE tokens;
DROP TABLE jobs;
DROP TABLE snapshots;
DROP TABLE knowledge_rows;
DROP TABLE shops;
