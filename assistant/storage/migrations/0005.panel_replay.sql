-- What the panel showed for a customer message, kept so a panel opened after a restart shows the
-- last suggestions and cues at once: each suggestion's matched wording and tags (a quick reply's
-- slot), and each cue shown as the panel draws it (score, tip, the words that raised it).

ALTER TABLE suggestions ADD COLUMN matched TEXT NOT NULL DEFAULT '';
ALTER TABLE suggestions ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE answers ADD COLUMN cue_details TEXT NOT NULL DEFAULT '[]';
