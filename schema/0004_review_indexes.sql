-- Indexes for the conversation finder, each turning a filter into an index probe:
--   conversations (digital_human_id, last_message_at): a digital human's conversations by last
--   message, paged without a filesort (its leftmost column still serves the foreign key).
--   conversation_messages (conversation_id, user_emotion) and (conversation_id, quality_score):
--   "any user message was angry" and "some reply scored below t" as one probe per conversation.
ALTER TABLE conversations
  ADD INDEX idx_digital_human_id_last_message_at (digital_human_id, last_message_at),
  DROP INDEX idx_digital_human_id;
ALTER TABLE conversation_messages
  ADD INDEX idx_conversation_id_user_emotion (conversation_id, user_emotion),
  ADD INDEX idx_conversation_id_quality_score (conversation_id, quality_score);
