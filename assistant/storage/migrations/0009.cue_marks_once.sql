-- A cue of a message is marked wrong once (`RecordTables.write`): two panels on two replicas
-- marking it at the same instant both passed the check before either wrote. Repeats already
-- stored are deleted (the earliest mark stays), then the store holds it with a unique index;
-- a repeat insert is ignored (`ON CONFLICT DO NOTHING`).

DELETE FROM feedback
WHERE action = 'cue_wrong'
  AND EXISTS (
    SELECT 1 FROM feedback AS earlier
    WHERE earlier.action = 'cue_wrong'
      AND earlier.shop = feedback.shop
      AND earlier.conversation_id = feedback.conversation_id
      AND earlier.message_id = feedback.message_id
      AND earlier.cue = feedback.cue
      AND (earlier.at < feedback.at OR (earlier.at = feedback.at AND earlier.id < feedback.id))
  );

CREATE UNIQUE INDEX feedback_cue_mark_once ON feedback (shop, conversation_id, message_id, cue)
WHERE action = 'cue_wrong';
