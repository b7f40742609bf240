-- Where support staff record their review of a conversation.
CREATE TABLE conversation_reviews (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '审核ID',
  conversation_id BIGINT NOT NULL COMMENT '对话ID',
  reviewer VARCHAR(100) NOT NULL COMMENT '审核人',
  verdict VARCHAR(20) NOT NULL COMMENT '结论: ok正常 needs_followup需跟进 escalated已升级 harmful有害',
  tags JSON DEFAULT NULL COMMENT '标签(JSON数组)',
  note TEXT DEFAULT NULL COMMENT '备注',
  reviewed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT '审核时间',
  CONSTRAINT fk_conversation_reviews_conversation_id FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
  INDEX idx_conversation_id_reviewed_at (conversation_id, reviewed_at),
  INDEX idx_reviewed_at (reviewed_at),
  INDEX idx_verdict (verdict)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='对话审核表';
