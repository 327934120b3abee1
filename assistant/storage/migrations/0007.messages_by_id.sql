-- A message found by its id within a shop (`RecordStore.known_message`): the panel's feedback
-- names a message by its id, and one that sits in another conversation than the one named is told
-- apart from one the shop never had, without reading the shop's every message.

CREATE INDEX messages_by_id ON messages (shop, message_id);
