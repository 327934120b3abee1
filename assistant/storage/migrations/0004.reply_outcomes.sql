-- Acceptance stored when the agent's real reply arrives: what the reply did with the suggestions
-- shown for the customer's last message before it (used / edited / not used, and how similar),
-- beside the panel's explicit feedback. Suggestions keep the text that was shown, so a reply is
-- matched to what the agent saw even after the entry changed or a quick reply was relearned.

ALTER TABLE suggestions ADD COLUMN text TEXT NOT NULL DEFAULT '';

CREATE TABLE reply_outcomes (
    platform TEXT NOT NULL,
    shop TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    customer_message_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    entry_id TEXT NOT NULL DEFAULT '',
    similarity DOUBLE PRECISION NOT NULL DEFAULT 0,
    agent TEXT NOT NULL DEFAULT '',
    shown TEXT NOT NULL DEFAULT '[]',
    at TEXT NOT NULL,
    PRIMARY KEY (platform, shop, conversation_id, message_id)
);

CREATE INDEX reply_outcomes_by_shop ON reply_outcomes (shop, at);
CREATE INDEX reply_outcomes_by_time ON reply_outcomes (at);
