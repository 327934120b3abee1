-- The first schema of the store: shops and their knowledge, snapshot pointers, jobs, tokens,
-- and the conversation records. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Times are ISO 8601 text in UTC; JSON is text; flags are 0/1 integers.

CREATE TABLE shops (
    shop TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    knowledge_revision TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE knowledge_rows (
    shop TEXT NOT NULL REFERENCES shops (shop),
    file TEXT NOT NULL,
    position INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (shop, file, position)
);

CREATE UNIQUE INDEX knowledge_rows_entry ON knowledge_rows (shop, entry_id) WHERE entry_id <> '';

CREATE TABLE snapshots (
    shop TEXT NOT NULL REFERENCES shops (shop),
    version TEXT NOT NULL,
    built_at TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    knowledge_revision TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, version)
);

CREATE UNIQUE INDEX snapshots_one_active ON snapshots (shop) WHERE active = 1;

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    shop TEXT NOT NULL REFERENCES shops (shop),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    version TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX jobs_by_shop ON jobs (shop, created_at);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    shop TEXT NOT NULL REFERENCES shops (shop),
    role TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE messages (
    platform TEXT NOT NULL,
    shop TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    sender_kind TEXT NOT NULL DEFAULT '',
    agent_id TEXT NOT NULL DEFAULT '',
    agent_name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, shop, conversation_id, message_id)
);

CREATE INDEX messages_by_conversation ON messages (shop, conversation_id, received_at);
CREATE INDEX messages_by_time ON messages (received_at);

CREATE TABLE suggestions (
    platform TEXT NOT NULL,
    shop TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    index_version TEXT NOT NULL,
    shown_at TEXT NOT NULL,
    PRIMARY KEY (platform, shop, conversation_id, message_id, rank)
);

CREATE INDEX suggestions_by_conversation ON suggestions (shop, conversation_id, shown_at);
CREATE INDEX suggestions_by_time ON suggestions (shown_at);

CREATE TABLE feedback (
    id TEXT NOT NULL,
    shop TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    action TEXT NOT NULL,
    index_version TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT '',
    entry_id TEXT NOT NULL DEFAULT '',
    rank INTEGER NOT NULL DEFAULT 0,
    score DOUBLE PRECISION NOT NULL DEFAULT 0,
    text TEXT NOT NULL DEFAULT '',
    cue TEXT NOT NULL DEFAULT '',
    elapsed_ms DOUBLE PRECISION,
    shown TEXT NOT NULL DEFAULT '[]',
    at TEXT NOT NULL,
    PRIMARY KEY (shop, id)
);

CREATE INDEX feedback_by_conversation ON feedback (shop, conversation_id, at);
CREATE INDEX feedback_by_time ON feedback (at);
