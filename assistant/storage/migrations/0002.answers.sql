-- What the service answered for each customer message: whether it was answerable, the best
-- score, the cues shown (medium and high) and any escalation, and how long suggesting took.
-- Read by the analytics (coverage, cues, escalations, latency) and the knowledge gaps.

CREATE TABLE answers (
    platform TEXT NOT NULL,
    shop TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    top_score DOUBLE PRECISION NOT NULL DEFAULT 0,
    cues TEXT NOT NULL DEFAULT '[]',
    escalation TEXT NOT NULL DEFAULT '[]',
    total_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
    index_version TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    PRIMARY KEY (platform, shop, conversation_id, message_id)
);

CREATE INDEX answers_by_shop ON answers (shop, at);
CREATE INDEX answers_by_time ON answers (at);
